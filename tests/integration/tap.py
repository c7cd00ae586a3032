"""tap.py — the TAP lines the Python checkers of tests/integration print (run_tests.sh counts them):
"ok - TAG: NAME", or "# WHY" lines (at most 12) then "not ok - TAG: NAME"; Tap.failed is 1 once a
case failed, the checker's exit status."""


class Tap:
    def __init__(self, tag):
        self.tag = tag
        self.failed = 0

    def report(self, name, good, why=""):
        if good:
            print(f"ok - {self.tag}: {name}")
        else:
            for line in str(why).splitlines()[:12]:
                print(f"# {line}")
            print(f"not ok - {self.tag}: {name}")
            self.failed = 1
