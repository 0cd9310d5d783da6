"""CPU time of the processes a load test runs, read from /proc (Linux), to say where the
machine's cores went during the load."""

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds of user and system) of one process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[1] is the parent pid, fields[11] and [12] user and system time in ticks
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def snapshot(groups: dict[str, int], by_name: tuple[str, ...] = ()) -> dict[str, float]:
    """CPU seconds so far of this process alone ("load generator"), of each group (a process
    and all its descendants, by root pid), and of every process whose command name is in
    ``by_name`` (e.g. PostgreSQL's backends, which are not our children)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (row := _stat(int(entry.name))) is not None:
            table[int(entry.name)] = row
    children: dict[int, list[int]] = {}
    for pid, (_name, parent, _cpu) in table.items():
        children.setdefault(parent, []).append(pid)

    def tree(root: int) -> float:
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            if pid in table:
                total += table[pid][2]
            todo.extend(children.get(pid, []))
        return total

    own = table.get(os.getpid())
    seconds = {"load generator": own[2] if own else 0.0}
    seconds.update((group, tree(root)) for group, root in groups.items())
    for name in by_name:
        seconds[name] = sum(cpu for comm, _parent, cpu in table.values() if comm == name)
    return seconds


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {group: after[group] - before.get(group, 0.0) for group in after}


def stolen() -> float:
    """CPU seconds the hypervisor has given to other machines while this one wanted to run
    (all cores; "steal" in /proc/stat; 0 on bare metal). A machine whose steal grows under
    load is not quiet: its cores deliver less than their number says."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / _TICK if len(fields) > 8 else 0.0
