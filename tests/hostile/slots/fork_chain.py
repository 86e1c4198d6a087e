# A process that outlives its kernel: a double-forked sleeper in a session of its own, and a
# chain of processes that each fork a child and exit, so that a kill pid by pid is always one
# fork behind.
import subprocess
import time

subprocess.Popen(["sleep", "300", "hostile-sleeper"], start_new_session=True)
CHAIN = "import os, time\nwhile True:\n    if os.fork():\n        os._exit(0)\n    time.sleep(0.001)\n"
subprocess.Popen(["python3", "-c", CHAIN, "hostile-chain"], start_new_session=True)
time.sleep(0.5)
