#!/usr/bin/python3
"""No circle of calls among the files of a folder (default: daemon/).

Universal Ctags lists the functions and globals each .c file defines; a file that names one
defined in another file (a call, or a function pointer taken for a table) depends on that file.
The dependencies must form no circle: each room calls only rooms below it (docs/architecture.md).
Exit 0 and a one-line summary when there is none; 1 and every circle with the names that tie
it; 2 when ctags is missing or reads nothing.

Usage: test_no_call_circles.py [SOURCE_DIR [FOLDER...]]
"""
import os
import re
import subprocess
import sys

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\])*\"", re.S)


def definitions(files):
    """{name: file} for the functions and file-scope variables the files define (not static)."""
    out = subprocess.run(
        ["ctags", "-x", "--c-kinds=fv", "--fields=+S", "--_xformat=%N\t%F\t%{C.properties}"]
        + files,
        check=True, capture_output=True, text=True).stdout
    defined = {}
    for line in out.splitlines():
        name, path, props = (line.split("\t") + [""])[:3]
        if "static" in props:
            continue
        defined.setdefault(name, path)
    return defined


def edges(files, defined):
    """{file: {other file: [names it takes from it]}}."""
    graph = {f: {} for f in files}
    for f in files:
        with open(f, encoding="utf-8") as src:
            text = COMMENT.sub(" ", src.read())
        for name in sorted(set(IDENT.findall(text))):
            other = defined.get(name)
            if other and other != f:
                graph[f].setdefault(other, []).append(name)
    return graph


def circles(graph):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    folders = sys.argv[2:] or ["daemon"]
    os.chdir(root)
    status = 0
    for folder in folders:
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".c"))
        try:
            defined = definitions(files)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"test_no_call_circles: ctags failed: {e}", file=sys.stderr)
            return 2
        if not defined:
            print(f"test_no_call_circles: ctags found no definitions in {folder}/", file=sys.stderr)
            return 2
        graph = edges(files, defined)
        found = circles(graph)
        n_edges = sum(len(v) for v in graph.values())
        if not found:
            print(f"test_no_call_circles: {folder}/: {len(files)} files, {n_edges} dependencies "
                  f"between files, no circle")
            continue
        status = 1
        for comp in found:
            print(f"circle in {folder}/: {', '.join(comp)}")
            for f in comp:
                for other, names in sorted(graph[f].items()):
                    if other in comp:
                        print(f"  {f} -> {other}: {', '.join(names[:6])}")
    return status


if __name__ == "__main__":
    sys.exit(main())
