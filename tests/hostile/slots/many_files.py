# 100,000 files in /tmp (the working folder's disk limit counts files: past 100,000 the run
# would stop), with odd names: newlines, a leading dash, bytes that are not UTF-8.
import os

os.mkdir("/tmp/hostile-many")
folder = os.open("/tmp/hostile-many", os.O_RDONLY)
for i in range(100_000):
    os.close(os.open(f"f{i}", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder))
for name in (b"-rf", b"hostile\nnewline", b"hostile \xff\xfe", b"hostile *"):
    os.close(os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder))
os.close(folder)
