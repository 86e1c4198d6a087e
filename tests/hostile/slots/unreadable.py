# Folders whose owner took every right away (chmod 000), with files in them, and files that
# are read-only, in the working folder, the home and /tmp; and links out of the box.
import os

for top in (".", os.environ["HOME"], "/tmp"):
    locked = os.path.join(top, "hostile-locked")
    os.makedirs(os.path.join(locked, "inner"))
    with open(os.path.join(locked, "inner", "hostile-secret"), "w") as f:
        f.write("locked in")
    os.chmod(os.path.join(locked, "inner", "hostile-secret"), 0)
    os.chmod(os.path.join(locked, "inner"), 0)
    os.chmod(locked, 0)
    os.symlink("/usr/bin", os.path.join(top, "hostile-link"))
