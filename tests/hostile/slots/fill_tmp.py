# Fill /tmp (a 64 MB tmpfs in the sandbox) to the last byte.

with open("/tmp/hostile-full", "wb") as full:
    try:
        while True:
            full.write(b"\0" * (1 << 20))
            full.flush()
    except OSError:
        pass
