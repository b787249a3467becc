# B613: Unicode bidirectional control characters (trojan source), reported once a file at the first
access = "user"
if access != "none‮⁦": # Check if admin ⁩⁦  # expect: B613
    print("admin")
note = "\u202e as an escape is fine"
