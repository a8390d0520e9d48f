#!/usr/bin/env python3
"""Runs a command with its output in OUT and prints the CPU it used:

    cpu_of.py OUT COMMAND [ARG...]   ->   "user_s sys_s exit_code"

The child's own user and system seconds come from wait4, at microsecond
resolution: the client CPU the benchmarks compare."""
import os
import sys

out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
pid = os.fork()
if pid == 0:
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
print("%.6f %.6f %d" % (usage.ru_utime, usage.ru_stime, os.waitstatus_to_exitcode(status)))
