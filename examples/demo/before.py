"""A small service; the line with eval() was there before the change."""


def parse(expression):
    return eval(expression)
