"""The house's layers: no module of apps/ imports, even inside a function, a module that imports it back.

import-linter (``make test`` runs ``lint-imports``, the contract in pyproject.toml) checks that a lower app never
imports a higher one. This test checks what the contract cannot: that no cycle is left *within* the graph of
every import statement, including the ones placed inside functions to hide a cycle from Python at import
time (see docs/architecture.md).
"""

from __future__ import annotations

import grimp


def strongly_connected(adjacency: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's components with more than one module (iterative: the graph has hundreds of modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in adjacency:
        if root in index:
            continue
        work = [(root, iter(adjacency[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(adjacency.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_finder_sees_a_cycle_and_a_clean_chain():
    assert strongly_connected({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert strongly_connected({"a": ["b"], "b": ["c"], "c": []}) == []


def test_no_import_cycle_in_apps():
    graph = grimp.build_graph(
        "apps", include_external_packages=False, exclude_type_checking_imports=True, cache_dir=None
    )
    modules = [m for m in graph.modules if ".migrations" not in m]
    adjacency = {
        m: sorted(n for n in graph.find_modules_directly_imported_by(m) if ".migrations" not in n)
        for m in modules
    }
    cycles = strongly_connected(adjacency)
    assert cycles == [], "import cycles (break them, see docs/architecture.md):\n" + "\n".join(
        " <-> ".join(c) for c in cycles
    )
