"""Bipartite edge colouring (König): split an aggregated allocation into individual schedules
and sequence chosen offers into rounds. Kempe-chain recolouring, then balancing of colour
classes (two matchings' union is paths and even cycles, so a path with more edges of the larger
colour can always be swapped)."""
from __future__ import annotations

from typing import Hashable, Sequence


def edge_colouring(edges: Sequence[tuple[Hashable, Hashable]], k: int) -> list[int]:
    """Colour the edges of a bipartite multigraph (left, right) with colours 0..k-1 so that no
    two edges at a vertex share a colour. Requires max degree <= k (raises otherwise)."""
    at: dict[tuple[int, Hashable], dict[int, int]] = {}  # vertex -> colour -> edge index
    colour = [-1] * len(edges)

    def free(v) -> int:
        used = at.setdefault(v, {})
        for c in range(k):
            if c not in used:
                return c
        raise ValueError("degree exceeds the number of colours")

    for e, (a, b) in enumerate(edges):
        va, vb = (0, a), (1, b)
        ca = free(va)
        cb = free(vb)
        if ca != cb and ca in at[vb]:
            # swap colours ca/cb along the alternating path starting at vb with colour ca
            path = []
            v, c = vb, ca
            while c in at.setdefault(v, {}):
                f = at[v][c]
                path.append(f)
                x, y = edges[f]
                w = (0, x) if v[0] == 1 else (1, y)
                v = w
                c = cb if c == ca else ca
            for f in path:
                x, y = edges[f]
                old = colour[f]
                del at[(0, x)][old]
                del at[(1, y)][old]
            for f in path:
                x, y = edges[f]
                new = cb if colour[f] == ca else ca
                colour[f] = new
                at[(0, x)][new] = f
                at[(1, y)][new] = f
        colour[e] = ca
        at[va][ca] = e
        at[vb][ca] = e
    return colour


def balance(edges: Sequence[tuple[Hashable, Hashable]], colour: list[int], k: int,
            limit: int) -> list[int]:
    """Swap alternating paths until every colour class has at most ``limit`` edges (possible
    whenever len(edges) <= k * limit)."""
    colour = list(colour)
    while True:
        sizes = [0] * k
        for c in colour:
            sizes[c] += 1
        big = max(range(k), key=lambda c: sizes[c])
        if sizes[big] <= limit:
            return colour
        small = min(range(k), key=lambda c: sizes[c])
        # components of the union of the two matchings
        adj: dict[tuple, list[int]] = {}
        idx = [e for e, c in enumerate(colour) if c in (big, small)]
        for e in idx:
            a, b = edges[e]
            adj.setdefault((0, a), []).append(e)
            adj.setdefault((1, b), []).append(e)
        seen: set[int] = set()
        done = False
        for e0 in idx:
            if e0 in seen:
                continue
            comp = []
            stack = [e0]
            seen.add(e0)
            while stack:
                e = stack.pop()
                comp.append(e)
                a, b = edges[e]
                for v in ((0, a), (1, b)):
                    for f in adj[v]:
                        if f not in seen:
                            seen.add(f)
                            stack.append(f)
            nb = sum(1 for e in comp if colour[e] == big)
            if nb > len(comp) - nb:
                for e in comp:
                    colour[e] = small if colour[e] == big else big
                done = True
                break
        if not done:  # cannot happen for bipartite graphs
            raise RuntimeError("balancing failed")
