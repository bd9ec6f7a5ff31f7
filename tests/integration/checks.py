"""The result lines every checker here prints, and their count of failures.

    report = Checks("NAME")
    report("check", ok, "why it failed")   # "ok NAME/check" or "FAIL NAME/check: why"
    return 1 if report.failed else 0
"""


class Checks:
    def __init__(self, name):
        self.name = name
        self.failed = 0

    def __call__(self, check, ok, why=""):
        if ok:
            print("ok %s/%s" % (self.name, check))
        else:
            self.failed += 1
            print("FAIL %s/%s: %s" % (self.name, check, why))
