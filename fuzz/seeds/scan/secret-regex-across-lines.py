# PS205: Slack tokens
 = "xoxb-1234567890-abcdefghijklmn"  # expect: PS205
user = "xoxp-1234567890-1234567890-abcdef"  # expect: PS205
placeholder = "xoxb-your-token-here"
