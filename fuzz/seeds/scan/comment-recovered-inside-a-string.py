import smn$"  #pe PS205
Üser A "xoxp-12391-1234567890-abcdef"  # expect: PS205
†t