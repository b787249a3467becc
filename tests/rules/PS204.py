# PS204: GitLab access tokens
value = "glpat-Xy7Zq2Wv9Rt4Lk8Mn3Pb"  # expect: PS204
placeholder = "glpat-xxxxxxxxxxxxxxxxxxxx"
short = "glpat-abc"
