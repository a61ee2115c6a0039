#!/usr/bin/env python3
"""Compare `npg analyze` with network-config-analyzer (nca) on one folder of
Kubernetes YAML: time both, turn both connectivity lists into the same facts
(source, destination, protocol, port interval; external addresses as address
intervals) and print every disagreement.

Usage:
    benches/nca/compare.py CLUSTER_DIR [--nca nca] [--npg target/release/npg]
                           [--nca-output FILE] [--work DIR] [--show N]

nca is used as an installed tool only (pip install network-config-analyzer).
With --nca-output, an earlier nca result is read instead of running nca again.
"""

import argparse
import ipaddress
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

PROTOCOLS = ("TCP", "UDP", "SCTP")
ALL_PORTS = [(1, 65535)]


def run_timed(command, stdout_path, stderr_path):
    """Runs `command`, returns (seconds, peak resident KB, exit code)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, process.returncode


# ---------------------------------------------------------------- connections


def merge(intervals):
    merged = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def subtract(intervals, removed):
    """Interval set difference, both sides merged and sorted."""
    result = []
    for low, high in intervals:
        start = low
        for cut_low, cut_high in removed:
            if cut_high < start or cut_low > high:
                continue
            if cut_low > start:
                result.append((start, cut_low - 1))
            start = max(start, cut_high + 1)
            if start > high:
                break
        if start <= high:
            result.append((start, high))
    return result


def union(first, second):
    protocols = set(first) | set(second)
    return {p: merge(first.get(p, []) + second.get(p, [])) for p in protocols}


def difference(first, second):
    result = {}
    for protocol, intervals in first.items():
        left = subtract(intervals, second.get(protocol, []))
        if left:
            result[protocol] = left
    return result


def connections_text(connections):
    if all(connections.get(p) == ALL_PORTS for p in PROTOCOLS):
        return "All Connections"
    parts = []
    for protocol in sorted(connections):
        ports = ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in connections[protocol])
        parts.append(f"{protocol} {ports}")
    return ",".join(parts) or "nothing"


def ports_list(text):
    intervals = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "-" in item:
            low, high = item.split("-", 1)
            intervals.append((int(low), int(high)))
        else:
            intervals.append((int(item), int(item)))
    return intervals


def npg_connections(text):
    """`All Connections` or `SCTP 7070,TCP 8080-8081,UDP 9090`."""
    text = text.strip()
    if text == "All Connections":
        return {p: list(ALL_PORTS) for p in PROTOCOLS}
    connections = defaultdict(list)
    protocol = None
    for item in text.split(","):
        item = item.strip()
        if " " in item:
            protocol, item = item.split(" ", 1)
        if protocol is None:
            raise ValueError(f"cannot read connections {text!r}")
        connections[protocol].extend(ports_list(item))
    return {p: merge(v) for p, v in connections.items()}


def nca_connections(text):
    """`All connections` or `{protocols:TCP, UDP,dst_ports:53},{protocols:SCTP}`;
    protocols other than TCP, UDP and SCTP (which NetworkPolicies cannot name)
    are left out."""
    text = text.strip()
    if text.lower() == "all connections":
        return {p: list(ALL_PORTS) for p in PROTOCOLS}
    connections = defaultdict(list)
    for group in text.split("},"):
        group = group.strip().strip("{}")
        if not group:
            continue
        fields = {}
        key = None
        for item in group.split(","):
            item = item.strip()
            if ":" in item:
                key, item = item.split(":", 1)
                fields[key] = []
            if key is None:
                raise ValueError(f"cannot read connections {text!r}")
            fields[key].append(item)
        unknown = set(fields) - {"protocols", "dst_ports"}
        if unknown:
            raise ValueError(f"connections with {sorted(unknown)} are not understood: {text!r}")
        ports = ports_list(",".join(fields["dst_ports"])) if "dst_ports" in fields else list(ALL_PORTS)
        for protocol in fields.get("protocols", PROTOCOLS):
            if protocol in PROTOCOLS:
                connections[protocol].extend(ports)
    return {p: merge(v) for p, v in connections.items()}


# ---------------------------------------------------------------- endpoints


def address_ranges(text):
    """`a.b.c.d-e.f.g.h[External]`, `a-b`, CIDRs or single addresses, comma
    separated: a list of (family, first, last) as integers."""
    text = text.strip()
    if text.endswith("[External]"):
        text = text[: -len("[External]")]
    ranges = []
    for item in text.split(","):
        item = item.strip()
        if "/" in item:
            network = ipaddress.ip_network(item, strict=False)
            ranges.append((network.version, int(network.network_address), int(network.broadcast_address)))
        elif "-" in item and not item.startswith("-"):
            first, last = item.split("-", 1)
            first, last = ipaddress.ip_address(first), ipaddress.ip_address(last)
            ranges.append((first.version, int(first), int(last)))
        else:
            address = ipaddress.ip_address(item)
            ranges.append((address.version, int(address), int(address)))
    return ranges


def is_workload(text):
    return text.endswith("]") and not text.endswith("[External]") and "/" in text


class Facts:
    """Connections between workloads, and between workloads and address ranges."""

    def __init__(self):
        self.pairs = {}
        # (workload, "in"|"out") -> list of (family, first, last, connections)
        self.external = defaultdict(list)
        self.lines = 0

    def add(self, source, destination, connections):
        self.lines += 1
        if not connections:
            return
        if is_workload(source) and is_workload(destination):
            if source == destination:
                return
            key = (source, destination)
            self.pairs[key] = union(self.pairs.get(key, {}), connections)
        elif is_workload(destination):
            for family, first, last in address_ranges(source):
                self.external[(destination, "in")].append((family, first, last, connections))
        elif is_workload(source):
            for family, first, last in address_ranges(destination):
                self.external[(source, "out")].append((family, first, last, connections))


def read_list(path, parse_connections):
    facts = Facts()
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\n")
            if " => " not in line or " : " not in line:
                continue
            peers, connections = line.split(" : ", 1)
            source, destination = peers.split(" => ", 1)
            try:
                facts.add(source.strip(), destination.strip(), parse_connections(connections))
            except ValueError as error:
                sys.exit(f"{path}:{number}: {error}")
    return facts


# ---------------------------------------------------------------- comparison


def address_text(family, first, last):
    to = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    return f"{to(first)}-{to(last)}"


def compare_external(npg_ranges, nca_ranges):
    """Cuts the address space at every boundary either side has and compares
    what each side allows on each piece. Returns the pieces that differ as
    (family, first, last, npg, nca), adjacent pieces with the same difference
    merged, and the number of facts compared."""
    by_family = defaultdict(lambda: ([], []))
    for index, ranges in enumerate((npg_ranges, nca_ranges)):
        for family, first, last, connections in ranges:
            by_family[family][index].append((first, last, connections))
    differences = []
    facts = 0
    for family in sorted(by_family):
        sides = by_family[family]
        top = (1 << (32 if family == 4 else 128)) - 1
        cuts = {0, top + 1}
        for side in sides:
            for first, last, _ in side:
                cuts.add(first)
                cuts.add(last + 1)
        cuts = sorted(cuts)
        for low, next_low in zip(cuts, cuts[1:]):
            high = next_low - 1
            allowed = []
            for side in sides:
                connections = {}
                for first, last, conns in side:
                    if first <= low and high <= last:
                        connections = union(connections, conns)
                allowed.append(connections)
            npg, nca = allowed
            facts += count_facts(union(npg, nca))
            if not difference(npg, nca) and not difference(nca, npg):
                continue
            last_difference = differences[-1] if differences else None
            if (last_difference and last_difference[0] == family and last_difference[2] + 1 == low
                    and last_difference[3] == npg and last_difference[4] == nca):
                differences[-1] = (family, last_difference[1], high, npg, nca)
            else:
                differences.append((family, low, high, npg, nca))
    return differences, facts


def count_facts(connections):
    return sum(len(intervals) for intervals in connections.values())


def compare(npg, nca):
    """Every disagreement as a text line, and the number of facts compared."""
    disagreements = []
    facts = 0
    for key in sorted(set(npg.pairs) | set(nca.pairs)):
        ours, theirs = npg.pairs.get(key, {}), nca.pairs.get(key, {})
        facts += count_facts(union(ours, theirs))
        only_npg, only_nca = difference(ours, theirs), difference(theirs, ours)
        if only_npg or only_nca:
            disagreements.append(
                f"{key[0]} => {key[1]} : npg {connections_text(ours)} | nca {connections_text(theirs)}"
                f" | only npg {connections_text(only_npg)} | only nca {connections_text(only_nca)}"
            )
    for key in sorted(set(npg.external) | set(nca.external)):
        workload, direction = key
        npg_ranges, nca_ranges = npg.external.get(key, []), nca.external.get(key, [])
        differences, piece_facts = compare_external(npg_ranges, nca_ranges)
        facts += piece_facts
        for family, first, last, ours, theirs in differences:
            addresses = address_text(family, first, last)
            source, destination = (addresses, workload) if direction == "in" else (workload, addresses)
            disagreements.append(
                f"{source} => {destination} : npg {connections_text(ours)} | nca {connections_text(theirs)}"
            )
    return disagreements, facts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cluster", help="folder of YAML: namespaces, workloads, NetworkPolicies")
    parser.add_argument("--nca", default="nca", help="the nca command (default: nca on PATH)")
    parser.add_argument("--npg", default="target/release/npg", help="the npg binary (default: target/release/npg)")
    parser.add_argument(
        "--npg-command",
        help="instead of NPG analyze DIR: a command printing npg's connectivity list, {dir} standing for the folder",
    )
    parser.add_argument("--nca-output", help="read this earlier nca result instead of running nca")
    parser.add_argument("--npg-runs", type=int, default=5, help="runs of npg; the median time is reported (default 5)")
    parser.add_argument("--work", help="where to keep both outputs (default: a new temporary folder)")
    parser.add_argument("--show", type=int, default=50, help="disagreements to print (all go to the work folder)")
    args = parser.parse_args()

    work = args.work or tempfile.mkdtemp(prefix="npg-nca-")
    os.makedirs(work, exist_ok=True)
    cluster = os.path.abspath(args.cluster)

    npg_out = os.path.join(work, "npg.txt")
    if args.npg_command:
        npg_command = [part.replace("{dir}", cluster) for part in shlex.split(args.npg_command)]
    else:
        npg_command = [args.npg, "analyze", cluster]
    # npg takes tens of milliseconds, so one run is mostly noise (a cold file cache,
    # the scheduler): it is run several times and the median is kept.
    npg_runs = [run_timed(npg_command, npg_out, os.path.join(work, "npg.stderr")) for _ in range(args.npg_runs)]
    if any(code != 0 for _, _, code in npg_runs):
        sys.exit(f"npg failed: see {work}/npg.stderr")
    npg_seconds = sorted(seconds for seconds, _, _ in npg_runs)[len(npg_runs) // 2]
    npg_kb = max(kb for _, kb, _ in npg_runs)

    if args.nca_output:
        nca_out, nca_seconds, nca_kb = args.nca_output, None, None
    else:
        nca_out = os.path.join(work, "nca.txt")
        nca_command = shlex.split(args.nca) + [
            "--connectivity",
            "--resource_list",
            cluster,
            "--output_format",
            "txt_no_fw_rules",
            "--output_endpoints",
            "deployments",
            "--file_out",
            nca_out,
        ]
        nca_seconds, nca_kb, nca_code = run_timed(nca_command, os.path.join(work, "nca.stdout"),
                                                   os.path.join(work, "nca.stderr"))
        if nca_code != 0 or not os.path.exists(nca_out):
            sys.exit(f"nca failed (exit {nca_code}): see {work}/nca.stderr")

    npg = read_list(npg_out, npg_connections)
    nca = read_list(nca_out, nca_connections)
    disagreements, facts = compare(npg, nca)
    with open(os.path.join(work, "disagreements.txt"), "w", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in disagreements)

    print(f"cluster:        {cluster}")
    print(f"npg:            {npg_seconds:.3f} s (median of {args.npg_runs}), peak {npg_kb / 1024:.0f} MB, {npg.lines} lines ({' '.join(npg_command)})")
    if nca_seconds is None:
        print(f"nca:            not run (read {nca_out}), {nca.lines} lines")
    else:
        print(f"nca:            {nca_seconds:.3f} s, peak {nca_kb / 1024:.0f} MB, {nca.lines} lines")
        print(f"ratio:          nca / npg = {nca_seconds / npg_seconds:.0f}")
    print(f"facts compared: {facts} (source, destination, protocol, port interval; addresses cut where either side cuts)")
    print(f"disagreements:  {len(disagreements)} (all in {work}/disagreements.txt)")
    for line in disagreements[: args.show]:
        print("  " + line)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
