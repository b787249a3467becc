# B101: assert statements (stripped by python -O)
def check(user):
    assert user.is_admin  # expect: B101
    assert user, "no user"  # expect: B101
    if not user.is_admin:
        raise PermissionError("admin only")
    x = "assert is only a word here"
