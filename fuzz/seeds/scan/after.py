"""A small service; the line with eval() was there before the change."""
import subprocess as sp


def parse(expression):
    return eval(expression)


def archive(name):
    # the change under review: the name reaches /bin/sh
    sp.call("tar czf /backups/%s.tgz data" % name, shell=True)
