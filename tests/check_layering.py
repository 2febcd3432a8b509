#!/usr/bin/env python3
"""The engine's layering, checked on its #include lines.

    core/  <-  kernels/  <-  layers/  <-  models/  <-  apps/

A folder may include its own layer and the layers below it, never one above:
core includes no kernel, a kernel family no layer. examples/ stands beside the
stack: it may include the public API (core, layers, models), never apps/, and
nothing includes it. Besides, no two folders (at any depth: kernels/conv and
kernels/reduce, say) may include each other, directly or around a loop. Prints
each violation and exits 1.
"""
import os
import re
import sys
from collections import defaultdict

LAYERS = ["core", "kernels", "layers", "models", "apps"]
# Top-level folders outside the stack, with the layers each may include.
LEAVES = {"examples": ["core", "layers", "models"]}
SOURCE_ENDINGS = (".h", ".cuh", ".cpp", ".cu")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def project_includes(root):
    """(including file, included file) for every quoted include of a project file."""
    for layer in LAYERS + list(LEAVES):
        for folder, _, files in os.walk(os.path.join(root, layer)):
            for name in files:
                if not name.endswith(SOURCE_ENDINGS):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                rel = os.path.relpath(path, root)
                for inc in INCLUDE.findall(text):
                    if inc.split("/")[0] in LAYERS + ["tests", "bench", "examples"]:
                        yield rel, inc


def cycles(edges):
    """Strongly connected components with more than one folder (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems = []
    folder_edges = defaultdict(set)
    for src, inc in project_includes(root):
        src_layer, inc_layer = src.split("/")[0], inc.split("/")[0]
        if src_layer in LEAVES:
            allowed = inc_layer == src_layer or inc_layer in LEAVES[src_layer]
        else:
            allowed = inc_layer in LAYERS and LAYERS.index(inc_layer) <= LAYERS.index(src_layer)
        if not allowed:
            problems.append(f"{src} includes {inc}: {src_layer}/ may not include {inc_layer}/")
        a, b = os.path.dirname(src), os.path.dirname(inc)
        if a != b:
            folder_edges[a].add(b)
            folder_edges.setdefault(b, set())
    for comp in cycles(folder_edges):
        problems.append("folders include each other: " + " <-> ".join(comp))
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"layering ok: {' <- '.join(LAYERS)}, {', '.join(LEAVES)} on the public API, "
          f"{len(folder_edges)} folders, no include loop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
