#!/bin/bash
# Project-specific command sinks: wrappers declared in the configuration are
# judged as subprocess calls are, through import and local aliases.
. "$(dirname "$0")/lib.sh"

cat > app.py <<'PY'
from neutron.agent.linux import utils
from oslo_concurrency import processutils as pu
execute = utils.execute

execute(["ip", "link"], run_as_root=True)
utils.execute(cmd, shell=True)
pu.execute("ls " + name)
helper(cmd)
PY
expect_exit 1 "without declared sinks only the generic shell=True check fires" git pysec scan --full app.py --format json --fail-on low --min-confidence low
jq_is "B604 on the shell=True call" '[.findings[] | "\(.line):\(.rule)"] | join(",")' "6:B604"

printf '[pysec "sinks"]\n\tcommand = neutron.agent.linux.utils.execute, oslo_concurrency.processutils.execute\n' > sinks.conf
expect_exit 1 "declared sinks are subprocess calls" git pysec scan --full app.py --config sinks.conf --format json --fail-on low --min-confidence low
jq_is "a local alias, shell=True, an import alias; a program without its path is B607" '[.findings[] | "\(.line):\(.rule):\(.severity)"] | join(",")' "5:B603:low,5:B607:low,6:B602:high,7:B603:low"
jq_is "an undeclared helper is not one" '[.findings[] | select(.line == 8)] | length' "0"

# Bandit's assert_used.skips: no B101 in the paths the configuration names
mkdir -p pkg/tests
printf 'assert ok\n' > pkg/tests/test_x.py
printf 'assert ok\n' > pkg/core.py
expect_exit 1 "asserts are reported everywhere by default" git pysec scan --full pkg --format json --fail-on low --min-confidence low
jq_is "in both files" '[.findings[] | select(.rule == "B101") | .path] | sort | join(",")' "pkg/core.py,pkg/tests/test_x.py"
printf '[pysec "assert-used"]\n\tskips = */tests/*\n' > skips.conf
expect_exit 1 "assert-used.skips leaves the tests out" git pysec scan --full pkg --config skips.conf --format json --fail-on low --min-confidence low
jq_is "only the library's assert" '[.findings[] | select(.rule == "B101") | .path] | join(",")' "pkg/core.py"
