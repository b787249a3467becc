#!/usr/bin/env python3
"""neutral.py: neutral refactorings of Python files, for tests/t/t22-neutral.sh.

usage: neutral.py rename|move FILE...   (rewrites each FILE in place)

rename  gives every local variable of every function a new name (name_n):
        only names that are the function's own (symtable: local, assigned,
        not a parameter, global, nonlocal or free in a nested scope), in
        functions that do not call locals(), vars(), eval() or exec(), and
        only where every use of the name is a Name node at the position the
        ast gives (f-strings and the like are left alone).
move    swaps the first two adjacent top-level functions or classes (with
        their decorators) that have nothing but blank lines between them.

What either leaves out it leaves as it was: the result always means what
the file meant.  Files that Python cannot parse are left as they are.
"""
import ast
import re
import symtable
import sys


def scopes(table):
    yield table
    for child in table.get_children():
        yield from scopes(child)


def free_in_children(table):
    names = set()
    for child in table.get_children():
        for t in scopes(child):
            names.update(t.get_frees())
    return names


def rename(src):
    try:
        tree = ast.parse(src)
        top = symtable.symtable(src, "<file>", "exec")
    except (SyntaxError, ValueError):
        return src
    words = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    words |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    lines = src.splitlines(keepends=True)
    funcs = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            funcs.setdefault(node.lineno, []).append(node)
    edits = []
    for table in scopes(top):
        if table.get_type() != "function" or table.get_lineno() not in funcs:
            continue
        node = next((f for f in funcs[table.get_lineno()] if f.name == table.get_name()), None)
        if node is None:
            continue
        calls = {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
        if calls & {"locals", "vars", "eval", "exec"}:
            continue
        frees = free_in_children(table)
        inner = set()
        for sub in ast.walk(node):
            if sub is not node and isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                    ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                                                    ast.GeneratorExp)):
                inner.update(id(x) for x in ast.walk(sub) if x is not sub)
        for sym in table.get_symbols():
            name = sym.get_name()
            if (not sym.is_local() or not sym.is_assigned() or sym.is_parameter() or sym.is_global() or
                    sym.is_nonlocal() or sym.is_imported() or name in frees or name.startswith("__")):
                continue
            uses = [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name and id(n) not in inner]
            new = name + "_n"
            while new in words:
                new += "_"
            ok = bool(uses)
            for n in uses:
                line = lines[n.lineno - 1].encode()
                if n.lineno != n.end_lineno or line[n.col_offset:n.end_col_offset].decode("utf-8", "replace") != name:
                    ok = False
            # every occurrence of the word in the function's text must be one of those uses
            text = "".join(lines[node.lineno - 1:node.end_lineno])
            count = len(re.findall(r"(?<![\w.])" + re.escape(name) + r"(?!\w)", text))
            if not ok or count != len(uses):
                continue
            words.add(new)
            edits += [(n.lineno, n.col_offset, n.end_col_offset, new) for n in uses]
    for lineno, start, end, new in sorted(edits, reverse=True):
        b = lines[lineno - 1].encode()
        lines[lineno - 1] = (b[:start] + new.encode() + b[end:]).decode()
    out = "".join(lines)
    try:
        ast.parse(out)
    except SyntaxError:
        return src
    return out


def move(src):
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError):
        return src
    lines = src.splitlines(keepends=True)
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    for a, b in zip(defs, defs[1:]):
        a0 = min([a.lineno] + [d.lineno for d in a.decorator_list]) - 1
        b0 = min([b.lineno] + [d.lineno for d in b.decorator_list]) - 1
        between = lines[a.end_lineno:b0]
        if any(l.strip() for l in between) or tree.body.index(b) != tree.body.index(a) + 1:
            continue
        if a.name == b.name:
            continue
        first, second = lines[a0:a.end_lineno], lines[b0:b.end_lineno]
        if not first[-1].endswith("\n") or not second[-1].endswith("\n"):
            continue
        out = "".join(lines[:a0] + second + between + first + lines[b.end_lineno:])
        try:
            ast.parse(out)
        except SyntaxError:
            continue
        return out
    return src


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("rename", "move"):
        sys.exit(__doc__)
    change = rename if sys.argv[1] == "rename" else move
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            src = f.read()
        out = change(src)
        if out != src:
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(out)


if __name__ == "__main__":
    main()
