# A key in the user keyring of uid 65534, which every sandbox of a root grader shares, and one
# in the session keyring, which a forked kernel would share with its fork server.
import ctypes
import platform

ADD_KEY = {"x86_64": 248, "aarch64": 217}[platform.machine()]  # the system call's number
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
for keyring in (-4, -3):  # KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING
    secret = b"secret of the learner before"
    serial = libc.syscall(ADD_KEY, b"user", b"hostile-key", secret, len(secret), keyring)
    with open(f"hostile-key{keyring}.txt", "w") as note:
        note.write(f"add_key gave {serial}, errno {ctypes.get_errno()}")
