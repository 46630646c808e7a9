#!/usr/bin/env python3
"""Runs the built civic-bridged inside an approximation of civic-bridge.service's sandbox
and checks that it starts, serves, stores, pings the watchdog, reloads and stops there.
Prints TAP.

    test-confined.py UNIT DAEMON

PID 1 is not systemd in a container, so `systemd-run -p ...` cannot apply the unit. This
test reads the unit and builds the sandbox itself, as root:
  - a private mount namespace (unshare): every mount read only but the state directory
    (ProtectSystem=strict), empty /tmp and /var/tmp (PrivateTmp=), empty /home, /root and
    /run/user (ProtectHome=), a /dev with only the pseudo devices (PrivateDevices=), read
    only /proc/sys and /sys (ProtectKernelTunables=, ProtectControlGroups=);
  - an unprivileged uid with no capability and no_new_privs (DynamicUser=,
    CapabilityBoundingSet=, NoNewPrivileges=), the unit's UMask=;
  - a seccomp filter built from the unit's SystemCallFilter=, SystemCallErrorNumber=,
    SystemCallArchitectures=native and RestrictAddressFamilies= (group contents from
    `systemd-analyze syscall-filter`), and the kernel's PR_SET_MDWE for
    MemoryDenyWriteExecute= (the kernel's rule, close to but not systemd's seccomp rule);
  - the environment systemd gives: $STATE_DIRECTORY, $NOTIFY_SOCKET, $WATCHDOG_USEC,
    $WATCHDOG_PID, HOME=/, the unit's Environment=.
Not reproduced: PrivateUsers=, ProtectProc=/ProcSubset=, RestrictNamespaces=,
LockPersonality=, RestrictRealtime=, ProtectClock=, ProtectHostname=, KeyringMode=,
ProtectKernelModules=/ProtectKernelLogs= beyond the system call filter, and PID 1's own
part (watchdog enforcement, Restart=). Skips when not root, not on x86-64, or when
unshare or setpriv is missing.
"""

import errno as errno_mod
import os
import platform
import re
import select
import shlex
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

SERVICE_UID = 61185  # in systemd's DynamicUser= range (61184-65519)
PYTHON = "/usr/bin/python3"  # inside the sandbox: the home directories are hidden

n = 0
failures = 0


def ok(what):
    global n
    n += 1
    print(f"ok {n} - {what}", flush=True)


def not_ok(what, detail=""):
    global n, failures
    n += 1
    failures += 1
    print(f"not ok {n} - {what}", flush=True)
    for line in detail.splitlines():
        print(f"# {line}", flush=True)


def check(what, cond, detail=""):
    if cond:
        ok(what)
    else:
        not_ok(what, detail)
    return cond


def comment(text):
    for line in text.splitlines():
        print(f"# {line}", flush=True)


def finish():
    print(f"1..{n}", flush=True)
    sys.exit(1 if failures else 0)


def skip(what, reason):
    global n
    n += 1
    print(f"ok {n} - {what} # SKIP {reason}", flush=True)


def kernel_has_mdwe():
    """PR_SET_MDWE (Linux 6.3), tried in a throwaway process since it cannot be undone"""
    code = "import ctypes, sys; sys.exit(ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0)"
    return subprocess.run([PYTHON, "-c", code], check=False).returncode == 0


def skip_all(reason):
    print(f"1..0 # SKIP {reason}", flush=True)
    sys.exit(0)


# --- the unit ------------------------------------------------------------------------------

def read_service_section(path):
    """[(key, value)] of the [Service] section, in order"""
    entries = []
    section = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                key, value = line.split("=", 1)
                entries.append((key.strip(), value.strip()))
    return entries


def last(entries, key, default=None):
    values = [v for k, v in entries if k == key]
    return values[-1] if values else default


def is_true(value):
    return value is not None and value.lower() in ("yes", "true", "on", "1")


_groups = {}


def expand_syscalls(name):
    """the system calls of @group (recursively) or of a single name"""
    name = name.split(":", 1)[0]  # drop an ':errno' suffix
    if not name.startswith("@"):
        return {name}
    if name not in _groups:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                             capture_output=True, text=True).stdout
        calls = set()
        for line in out.splitlines()[1:]:
            item = line.strip()
            if not item or item.startswith("#"):
                continue
            calls |= expand_syscalls(item)
        _groups[name] = calls
    return _groups[name]


def syscall_filter(entries):
    """(allow list or None, errno) as systemd builds them from SystemCallFilter= lines"""
    allow = None
    for key, value in entries:
        if key != "SystemCallFilter":
            continue
        if value == "":
            allow = None
            continue
        negate = value.startswith("~")
        names = set()
        for item in value.lstrip("~").split():
            names |= expand_syscalls(item)
        if allow is None:
            if negate:
                raise SystemExit("a deny-list SystemCallFilter= is not emulated here")
            allow = names
        elif negate:
            allow -= names
        else:
            allow |= names
    errno_name = last(entries, "SystemCallErrorNumber", "EPERM")
    return allow, getattr(errno_mod, errno_name, errno_mod.EPERM)


def syscall_numbers():
    numbers = {}
    with open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#define __NR_(\w+)\s+(\d+)", line)
            if m:
                numbers[m.group(1)] = int(m.group(2))
    return numbers


# --- the seccomp program ----------------------------------------------------------------

BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_RET_K = 0x06
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
AF = {"AF_UNIX": 1, "AF_LOCAL": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16,
      "AF_PACKET": 17}


def bpf_program(allowed_numbers, errno, families, socket_nr):
    prog = []

    def ins(code, jt, jf, k):
        prog.append(struct.pack("HBBI", code, jt, jf, k))

    deny = RET_ERRNO | errno
    ins(BPF_LD_W_ABS, 0, 0, 4)                       # arch
    ins(BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64)          # SystemCallArchitectures=native
    ins(BPF_RET_K, 0, 0, deny)
    ins(BPF_LD_W_ABS, 0, 0, 0)                       # nr
    ins(BPF_JGE_K, 0, 1, X32_SYSCALL_BIT)            # x32 is a foreign ABI
    ins(BPF_RET_K, 0, 0, deny)
    if families is not None and socket_nr in allowed_numbers:
        block = 2 + 2 * len(families)
        ins(BPF_JEQ_K, 0, block, socket_nr)
        ins(BPF_LD_W_ABS, 0, 0, 16)                  # args[0], low half: the family
        for family in families:
            ins(BPF_JEQ_K, 0, 1, family)
            ins(BPF_RET_K, 0, 0, RET_ALLOW)
        ins(BPF_RET_K, 0, 0, RET_ERRNO | 97)         # EAFNOSUPPORT, as systemd answers
    for nr in sorted(allowed_numbers):
        ins(BPF_JEQ_K, 0, 1, nr)
        ins(BPF_RET_K, 0, 0, RET_ALLOW)
    ins(BPF_RET_K, 0, 0, deny)
    return b"".join(prog)


# runs inside the sandbox as the service user: MDWE, then the filter, then the daemon
WRAPPER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if os.environ.pop("CB_SANDBOX_MDWE", "") == "1":
    if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
        sys.exit("PR_SET_MDWE: " + os.strerror(ctypes.get_errno()))
code = bytes.fromhex(os.environ.pop("CB_SANDBOX_BPF"))
buf = ctypes.create_string_buffer(code, len(code))
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Prog(len(code) // 8, ctypes.addressof(buf))
if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
    sys.exit("PR_SET_NO_NEW_PRIVS: " + os.strerror(ctypes.get_errno()))
if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
    sys.exit("PR_SET_SECCOMP: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
"""

# runs inside the new mount namespace as root, then drops to the service user
MOUNTS = r"""
set -e
writable=$1; shift
hide_home=$1; shift
umask_value=$1; shift
private_tmp=$1; shift
if [ "$private_tmp" = yes ]; then
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
	if [ -d /var/tmp ]; then mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp; fi
fi
for d in $hide_home; do
	if [ -d "$d" ]; then mount -t tmpfs -o ro,mode=0755,nosuid,nodev,noexec tmpfs "$d"; fi
done
mount -t tmpfs -o mode=0755,nosuid,noexec tmpfs /dev
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
	name=${node%%:*}
	number=${node#*:}
	mknod -m 0666 "/dev/$name" c "${number%:*}" "${number#*:}"
done
mkdir /dev/shm /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount --bind /proc/sys /proc/sys
for d in $writable; do mount --bind "$d" "$d"; done
# everything read only but StateDirectory=, CacheDirectory= and the private /tmp, /dev
awk '{ print $5 }' /proc/self/mountinfo | sort -u | while read -r mp; do
	case " $writable " in *" $mp "*) continue ;; esac
	case "$mp" in
	/proc | /dev | /dev/* | /tmp | /var/tmp) continue ;;
	/proc/*) [ "$mp" = /proc/sys ] || continue ;;
	esac
	mount -o remount,bind,ro "$mp" 2>/dev/null || echo "sandbox: cannot make $mp read only" >&2
done
umask "$umask_value"
# the chain (sh, setpriv, python, daemon) only execs: this pid is the daemon's
export WATCHDOG_PID=$$
exec "$@"
"""


# what the probe sees inside the sandbox, as key=value lines
PROBE = r"""
import errno, mmap, os, socket, sys
state, work = sys.argv[1], sys.argv[2]
def attempt(key, fn):
    try:
        fn()
        print(f"{key}=ok")
    except OSError as e:
        print(f"{key}={errno.errorcode.get(e.errno, e.errno)}")
def write(path):
    with open(path, "w") as f:
        f.write("x")
    os.unlink(path)
print(f"uid={os.getuid()}")
print(f"umask={os.umask(0o077):04o}")
status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
print(f"capbnd={int(status['CapBnd'], 16)}")
attempt("write_state", lambda: write(os.path.join(state, "probe")))
attempt("write_work", lambda: write(os.path.join(work, "probe")))
attempt("write_usr", lambda: write("/usr/probe"))
attempt("write_tmp", lambda: write("/tmp/probe"))
print(f"tmp_empty={os.listdir('/tmp') == []}")
print(f"root_hidden={not os.path.isdir('/root') or os.listdir('/root') == []}")
print(f"dev_minimal={set(os.listdir('/dev')) <= {'null', 'zero', 'full', 'random', 'urandom', 'tty', 'shm', 'pts', 'fd', 'stdin', 'stdout', 'stderr'}}")
attempt("socket_inet6", lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close())
attempt("socket_netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close())
attempt("socket_packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close())
attempt("setpriority", lambda: os.setpriority(os.PRIO_PROCESS, 0, 19))
attempt("mdwe", lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC))
"""

SANDBOX_EXPECTATIONS = [
    ("uid", str(SERVICE_UID), "runs as the unprivileged service uid (DynamicUser=)"),
    ("capbnd", "0", "empty capability bounding set (CapabilityBoundingSet=)"),
    ("umask", "0077", "umask 0077 (UMask=)"),
    ("write_state", "ok", "the state directory is writable (StateDirectory=)"),
    ("write_work", "EROFS", "the rest of the tree is read only (ProtectSystem=strict)"),
    ("write_usr", "EROFS", "/usr is read only (ProtectSystem=strict)"),
    ("write_tmp", "ok", "/tmp is writable..."),
    ("tmp_empty", "True", "...and private (PrivateTmp=)"),
    ("root_hidden", "True", "/root is hidden (ProtectHome=)"),
    ("dev_minimal", "True", "/dev has only pseudo devices (PrivateDevices=)"),
    ("socket_inet6", "ok", "AF_INET6 sockets allowed (RestrictAddressFamilies=)"),
    ("socket_netlink", "ok", "AF_NETLINK sockets allowed, libnice needs them"),
    ("socket_packet", "EAFNOSUPPORT", "AF_PACKET sockets refused (RestrictAddressFamilies=)"),
    ("setpriority", "EPERM", "setpriority() refused (SystemCallFilter=~@resources)"),
    ("mdwe", "EACCES", "no writable and executable memory (MemoryDenyWriteExecute=)"),
]


class Notify:
    """the service manager's end of $NOTIFY_SOCKET"""

    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.name = f"@civic-bridge-test-{os.getpid()}-{time.monotonic_ns()}"
        self.sock.bind("\0" + self.name[1:])
        self.messages = []

    def wait(self, predicate, timeout):
        """the first message (from now on) for which predicate is true, or None"""
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(self.messages):
                if predicate(message):
                    del self.messages[: i + 1]
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                self.messages.append(self.sock.recv(4096).decode("utf-8", "replace"))

    def drain(self):
        self.messages.clear()


def fields(message):
    return dict(line.split("=", 1) for line in message.splitlines() if "=" in line)


def http_get(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
    try:
        with opener.open(url, timeout=5) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except Exception as e:  # noqa: BLE001 - reported as the test's detail
        return None, str(e)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test-confined.py UNIT DAEMON")
    unit, daemon = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])

    if os.geteuid() != 0:
        skip_all("needs root for the mount namespace (CI runs as root)")
    if platform.machine() != "x86_64":
        skip_all("the seccomp filter here is built for x86-64 only")
    for tool in ("unshare", "setpriv", "systemd-analyze"):
        if shutil.which(tool) is None:
            skip_all(f"{tool} is not installed")
    if not os.access(PYTHON, os.X_OK):
        skip_all(f"{PYTHON} is not installed")
    if not os.path.exists("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"):
        skip_all("no asm/unistd_64.h to number the system calls")
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode != 0:
        skip_all("cannot create a mount namespace here (no CAP_SYS_ADMIN)")

    entries = read_service_section(unit)
    allow, errno = syscall_filter(entries)
    numbers = syscall_numbers()
    allowed_numbers = {numbers[c] for c in (allow or numbers.keys()) if c in numbers}
    families = None
    family_lines = [v for k, v in entries if k == "RestrictAddressFamilies"]
    if any(v.startswith("~") for v in family_lines):
        comment("a deny-list RestrictAddressFamilies= is not emulated: all families allowed")
    elif family_lines:
        families = sorted({AF[f] for v in family_lines for f in v.split() if f in AF})
    bpf = bpf_program(allowed_numbers, errno, families, numbers["socket"])
    comment(f"seccomp: {len(allowed_numbers)} system calls allowed, socket families "
            f"{families}, others get errno {errno}")

    # the work tree must be reachable by the service user, and outside /tmp (hidden)
    work = tempfile.mkdtemp(prefix="cb-confined.", dir=os.getcwd())
    try:
        run(unit, daemon, entries, bpf, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish()


def run(unit, daemon, entries, bpf, work):
    os.chmod(work, 0o755)
    state = os.path.join(work, "state")
    cache = os.path.join(work, "cache")
    for d in (state, cache):
        os.mkdir(d, 0o700)
        os.chown(d, SERVICE_UID, SERVICE_UID)
    config = os.path.join(work, "civic-bridge.conf")
    with open(config, "w", encoding="utf-8") as f:
        f.write("[server]\nlisten=127.0.0.1:0\n")
    os.chmod(config, 0o644)

    # can the service user reach the daemon and the work tree at all?
    probe = subprocess.run(["setpriv", f"--reuid={SERVICE_UID}", f"--regid={SERVICE_UID}",
                            "--clear-groups", "test", "-x", daemon, "-a", "-r", config],
                           check=False)
    if probe.returncode != 0:
        skip_all(f"uid {SERVICE_UID} cannot execute {daemon} or read {config}: "
                 "a parent directory is not world-searchable")

    # ProtectHome=: hide the home trees, unless the build lives in one
    hide = [d for d in ("/home", "/root", "/run/user")
            if not any(p == d or p.startswith(d + "/") for p in (daemon, work))]
    if len(hide) < 3:
        comment("ProtectHome= only partly emulated: the build is under a home directory")
    # PrivateTmp=: a fresh /tmp would hide a build that lives under /tmp itself
    private_tmp = not any(p == d or p.startswith(d + "/") for p in (daemon, work)
                          for d in ("/tmp", "/var/tmp"))
    if not private_tmp:
        comment("PrivateTmp= not emulated: the build lives under /tmp")

    notify = Notify()
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/",
        "LANG": "C.UTF-8",
        "STATE_DIRECTORY": state,
        "CACHE_DIRECTORY": cache,
        "NOTIFY_SOCKET": notify.name,
        "WATCHDOG_USEC": "1000000",
        "CB_SANDBOX_BPF": bpf.hex(),
        "CB_SANDBOX_MDWE": "0",
    }
    if is_true(last(entries, "MemoryDenyWriteExecute")):
        if kernel_has_mdwe():
            env["CB_SANDBOX_MDWE"] = "1"
        else:
            comment("MemoryDenyWriteExecute= not emulated: PR_SET_MDWE needs Linux 6.3")
    for key, value in entries:
        if key != "Environment":
            continue
        for assignment in shlex.split(value):
            name, _, val = assignment.partition("=")
            env[name] = val.replace("%C/civic-bridge", cache).replace("%C", os.path.dirname(cache))

    umask_value = last(entries, "UMask", "0022")
    setpriv = ["setpriv", f"--reuid={SERVICE_UID}", f"--regid={SERVICE_UID}", "--clear-groups",
               "--inh-caps=-all", "--bounding-set=-all"]
    if is_true(last(entries, "NoNewPrivileges")):
        setpriv.append("--no-new-privs")
    sandbox = (["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNTS, "sandbox",
                f"{state} {cache}", " ".join(hide), umask_value, "yes" if private_tmp else "no"]
               + setpriv + [PYTHON, "-c", WRAPPER])

    # first prove that the sandbox confines: a probe in the daemon's place
    probe = subprocess.run(sandbox + [PYTHON, "-c", PROBE, state, work], env=env,
                           capture_output=True, text=True, check=False, timeout=60)
    found = dict(line.split("=", 1) for line in probe.stdout.splitlines() if "=" in line)
    detail = probe.stdout + probe.stderr
    for key, want, what in SANDBOX_EXPECTATIONS:
        if key == "mdwe" and env["CB_SANDBOX_MDWE"] != "1":
            skip(f"sandbox: {what}", "not emulated on this kernel")
            continue
        if key in ("write_tmp", "tmp_empty") and not private_tmp:
            skip(f"sandbox: {what}", "the build lives under /tmp")
            continue
        check(f"sandbox: {what}", found.get(key) == want,
              f"{key}: got {found.get(key)!r}, want {want!r}\n{detail}")
    if probe.returncode != 0:
        return

    media(sandbox, env, state)

    command = sandbox + [daemon, "--config", config]
    stderr_path = os.path.join(work, "stderr")
    with open(stderr_path, "w+", encoding="utf-8") as stderr:
        proc = subprocess.Popen(command, env=env, stdout=stderr, stderr=stderr)
        try:
            exercise(proc, notify, state)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            stderr.seek(0)
            log = stderr.read()
    comment("daemon output:\n" + log)
    registry = os.path.join(cache, "gstreamer-1.0")
    check("GStreamer's registry is kept in the CacheDirectory (XDG_CACHE_HOME)",
          os.path.isdir(registry) and any(f.startswith("registry.") for f in os.listdir(registry)),
          f"nothing in {registry}")
    bad = [line for line in log.splitlines()
           if "CRITICAL" in line or "sandbox:" in line or "Operation not permitted" in line]
    check("the daemon logged no critical error and no denied operation", not bad, "\n".join(bad))


# what the media path will do, through gst-launch-1.0 until the daemon has rooms: encode
# (libvpx, libopus), convert (ORC), packetise RTP and send it over UDP on loopback; receive
# it, decode it and record Matroska segments with splitmuxsink into the state directory.
# Two processes: one pipeline mixing the live udpsrc with non-live sources stalls.
MEDIA_RECEIVER = (
    "udpsrc address=127.0.0.1 port={port} num-buffers=40 "
    "caps=application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96 ! "
    "rtpvp8depay ! tee name=t ! queue ! vp8dec ! videoconvert ! fakesink "
    "t. ! queue ! splitmuxsink muxer-factory=matroskamux max-size-time=1000000000 "
    "location={state}/segment-%05d.mkv"
)
MEDIA_SENDER = (
    "videotestsrc num-buffers=150 ! video/x-raw,width=320,height=180 ! videoconvert ! "
    "video/x-raw,format=I420 ! vp8enc deadline=1 ! rtpvp8pay ! identity sleep-time=20000 ! "
    "udpsink host=127.0.0.1 port={port} sync=false "
    "audiotestsrc num-buffers=50 ! audioconvert ! audioresample ! opusenc ! rtpopuspay ! "
    "rtpopusdepay ! opusdec ! audioconvert ! volume volume=0.5 ! fakesink"
)


def udp_port_bound(port):
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table, encoding="ascii") as f:
                if any(line.split()[1].endswith(f":{port:04X}") for line in list(f)[1:]):
                    return True
        except OSError:
            pass
    return False


def media(sandbox, env, state):
    gst = shutil.which("gst-launch-1.0")
    if gst is None:
        skip("media path in the sandbox", "gst-launch-1.0 is not installed")
        return
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    receiver = subprocess.Popen(
        sandbox + [gst, "-q"] + MEDIA_RECEIVER.format(port=port, state=state).split(),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while not udp_port_bound(port) and receiver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    sender = subprocess.run(sandbox + [gst, "-q"] + MEDIA_SENDER.format(port=port).split(),
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    try:
        receiver_out, _ = receiver.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        receiver.kill()
        receiver_out, _ = receiver.communicate()
    output = receiver_out + sender.stdout + sender.stderr
    segments = sorted(f for f in os.listdir(state) if f.startswith("segment-"))
    sizes = [os.path.getsize(os.path.join(state, f)) for f in segments]
    errors = [line for line in output.splitlines()
              if "ERROR" in line or "CRITICAL" in line or "Operation not permitted" in line]
    check("media path in the sandbox: VP8/Opus encode, RTP over UDP, Matroska segments",
          receiver.returncode == 0 and sender.returncode == 0 and segments and all(sizes)
          and not errors,
          f"receiver exit {receiver.returncode}, sender exit {sender.returncode}, "
          f"segments {list(zip(segments, sizes))}\n" + "\n".join(errors or output.splitlines()[-20:]))
    for f in segments:
        os.unlink(os.path.join(state, f))


def exercise(proc, notify, state):
    ready = notify.wait(lambda m: "READY=1" in m.splitlines(), 30)
    if not check("READY=1 inside the sandbox", ready is not None,
                 f"exit status {proc.poll()}"):
        return
    status = fields(ready).get("STATUS", "")
    m = re.search(r"https?://[^\s]+", status)
    if not check("READY=1 carries the URL in STATUS", m is not None, status):
        return
    url = m.group(0).rstrip("/")

    try:
        with open(f"/proc/{proc.pid}/status", encoding="utf-8") as f:
            st = dict(line.split(":", 1) for line in f if ":" in line)
        check("the daemon runs as the service user, no capability, no_new_privs, seccomp",
              st["Uid"].split()[0] == str(SERVICE_UID) and int(st["CapEff"], 16) == 0
              and st["NoNewPrivs"].strip() == "1" and st["Seccomp"].strip() == "2",
              f"Uid {st['Uid'].strip()} CapEff {st['CapEff'].strip()} "
              f"NoNewPrivs {st['NoNewPrivs'].strip()} Seccomp {st['Seccomp'].strip()}")
    except OSError as e:
        not_ok("the daemon's /proc status is readable", str(e))

    code, body = http_get(url + "/healthz")
    check("GET /healthz answers 200", code == 200, f"{code} {body}")
    code, body = http_get(url + "/readyz")
    check("GET /readyz answers 200 (the store is open)", code == 200, f"{code} {body}")

    store = os.path.join(state, "civic-bridge.db")
    try:
        st = os.stat(store)
        check("the store is in $STATE_DIRECTORY, owned by the service user, mode 0600",
              st.st_uid == SERVICE_UID and stat.S_IMODE(st.st_mode) == 0o600,
              f"uid {st.st_uid} mode {oct(stat.S_IMODE(st.st_mode))}")
    except OSError as e:
        not_ok("the store is in $STATE_DIRECTORY", str(e))

    check("WATCHDOG=1 arrives (WATCHDOG_USEC=1 s)",
          notify.wait(lambda m: "WATCHDOG=1" in m.splitlines(), 5) is not None)

    notify.drain()
    proc.send_signal(signal.SIGHUP)
    reloading = notify.wait(lambda m: "RELOADING=1" in m.splitlines(), 10)
    ready = notify.wait(lambda m: "READY=1" in m.splitlines(), 10) if reloading else None
    check("SIGHUP: RELOADING=1 then READY=1", reloading is not None and ready is not None,
          f"RELOADING {reloading!r}, READY {ready!r}")
    code, body = http_get(url + "/healthz")
    check("still serving after the reload", code == 200, f"{code} {body}")

    notify.drain()
    proc.send_signal(signal.SIGTERM)
    stopping = notify.wait(lambda m: "STOPPING=1" in m.splitlines(), 10)
    try:
        status = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        status = None
    check("SIGTERM: STOPPING=1 and exit status 0", stopping is not None and status == 0,
          f"STOPPING {stopping!r}, exit status {status}")


if __name__ == "__main__":
    main()
