# A folder tree 3,000 deep in the working folder (the run folder, as the home is) and in /tmp (the
# sandbox's): Python 3.11's shutil.rmtree recurses and raises RecursionError on it; its paths are
# longer than PATH_MAX.
import os

for top in (".", "/tmp"):
    start = os.open(top, os.O_RDONLY)
    os.mkdir("hostile-deep", dir_fd=start)
    here = os.open("hostile-deep", os.O_RDONLY, dir_fd=start)
    os.close(start)
    for _ in range(3000):
        os.mkdir("d", dir_fd=here)
        below = os.open("d", os.O_RDONLY, dir_fd=here)
        os.close(here)
        here = below
    with open(os.open("hostile-secret", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=here), "w") as f:
        f.write("at the bottom")
    os.close(here)
