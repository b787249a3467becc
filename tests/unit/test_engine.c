/*
 * test_engine.c: the engine through the public API only (pysec.h).
 *
 * Each case is a Python file and the findings a scan of it must report, as
 * "RULE:LINE" in report order (line, column, rule).  Every built-in rule of
 * rules/python/ has at least one case that finds it and one that must not.
 *
 * Hostile inputs are scanned in a child process, so that a crash or a hang
 * is one failed test rather than the end of the program.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pysec.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The engine with the default policy, shared by the tests (it is immutable). */
static pysec_engine *engine;

static int engine_setup(void **state)
{
	return pysec_engine_new(&engine, NULL);
}

static int engine_teardown(void **state)
{
	pysec_engine_free(engine);
	return 0;
}

static pysec_report *scan_len_with(const pysec_engine *e, const char *src, size_t len)
{
	pysec_report *r;

	assert_int_equal(pysec_report_new(&r), 0);
	assert_int_equal(pysec_scan_buffer(r, e, "t.py", src, len), 0);
	pysec_report_sort(r);
	return r;
}

static pysec_report *scan_with(const pysec_engine *e, const char *src)
{
	return scan_len_with(e, src, strlen(src));
}

static pysec_report *scan(const char *src)
{
	return scan_with(engine, src);
}

/* The report's findings as "RULE:LINE RULE:LINE". */
static const char *found(const pysec_report *r)
{
	static char out[4096];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *f = pysec_report_finding(r, i);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:%u", i ? " " : "", f->rule, f->line);
	}
	return out;
}

static size_t count_entries(const pysec_report *r, pysec_entry_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < pysec_report_entry_count(r); i++)
		n += pysec_report_entry(r, i)->kind == kind;
	return n;
}

static const pysec_entry *first_entry(const pysec_report *r, pysec_entry_kind kind)
{
	size_t i;

	for (i = 0; i < pysec_report_entry_count(r); i++)
		if (pysec_report_entry(r, i)->kind == kind)
			return pysec_report_entry(r, i);
	return NULL;
}

/* The finding of `rule` on `line` (the test fails when there is none). */
static const pysec_finding *finding_at(const pysec_report *r, const char *rule, uint32_t line)
{
	size_t i;

	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *f = pysec_report_finding(r, i);
		if (!strcmp(f->rule, rule) && f->line == line)
			return f;
	}
	fail_msg("no %s finding on line %u", rule, line);
	return NULL;
}

/* The first finding of `rule`, or NULL. */
static const pysec_finding *finding_of(const pysec_report *r, const char *rule)
{
	size_t i;

	for (i = 0; i < pysec_report_finding_count(r); i++)
		if (!strcmp(pysec_report_finding(r, i)->rule, rule))
			return pysec_report_finding(r, i);
	return NULL;
}

/* --- the rules, case by case ------------------------------------------------- */

/*
 * A case judges only the rules of its scope: what it expects of them is
 * exactly what it gets, while other rules (`import subprocess` is B404's)
 * may report what they like.  So a rule added later disturbs no case.
 */
struct scan_case {
	const char *scope;	/* "B602" or "B602 B607": the rules the case is about */
	const char *src;
	const char *expect;	/* their findings, "RULE:LINE ...", "" for none */
};

static const struct scan_case cases[] = {
	/* B101 assert_used */
	{ "B101", "assert user.is_admin\n", "B101:1" },
	{ "B101", "if not user.is_admin:\n    raise PermissionError()\n", "" },
	/* no call or string around it: the walk goes in for the keyword */
	{ "B101", "if ready:\n    assert user.is_admin\n", "B101:2" },

	/* B102 exec_used */
	{ "B102", "exec(request.args['code'])\n", "B102:1" },
	{ "B102", "self.exec(query)\n", "" },

	/* B103 set_bad_file_permissions */
	{ "B103", "import os\nos.chmod(\"/etc/app/key.pem\", 0o777)\n", "B103:2" },
	{ "B103", "import os\nos.chmod(\"/etc/app/key.pem\", 0o600)\n", "" },

	/* B104 hardcoded_bind_all_interfaces */
	{ "B104", "app.run(host=\"0.0.0.0\")\n", "B104:1" },
	{ "B104", "app.run(host=\"127.0.0.1\")\n", "" },
	{ "B104", "sock.bind((\"\", port))\n", "B104:1" },
	{ "B104", "sock.bind((\"localhost\", port))\nx = \"\"\n", "" },
	/* two backslashes, not "": tree-sitter-python ends such a raw string with a string_end that holds them */
	{ "B104", "sock.bind((r\"\\\\\", port))\n", "" },

	/* B105 hardcoded_password_string */
	{ "B105", "password = \"hunter2\"\n", "B105:1" },
	{ "B105", "self.token = 'abc'\n", "B105:1" },
	{ "B105", "if password == \"x\":\n    pass\n", "B105:1" },
	{ "B105", "if \"swordfish\" == password:\n    pass\n", "B105:1" },
	{ "B105", "password = os.environ[\"PW\"]\n", "" },
	{ "B105", "username = \"admin\"\n", "" },

	/* B106 hardcoded_password_funcarg */
	{ "B106", "connect(user=\"app\", password=\"hunter2\")\n", "B106:1" },
	{ "B106", "connect(user=\"app\", password=secret)\n", "" },

	/* B107 hardcoded_password_default */
	{ "B107", "def login(user, password=\"admin\"):\n    pass\n", "B107:1" },
	{ "B107", "def f(*, password=\"admin123\"):\n    pass\n", "B107:1" },
	{ "B107", "f = lambda password=\"x\": password\n", "" },
	{ "B107", "def login(user, password=None):\n    pass\n", "" },

	/* B108 hardcoded_tmp_directory */
	{ "B108", "open(\"/tmp/report.txt\", \"w\")\n", "B108:1" },
	{ "B108", "open(\"/home/user/report.txt\", \"w\")\n", "" },

	/* B110 try_except_pass */
	{ "B110", "try:\n    f()\nexcept Exception:\n    pass\n", "B110:3" },
	{ "B110", "try:\n    f()\nexcept:\n    pass\n", "B110:3" },
	{ "B110", "try:\n    f()\nexcept ValueError:\n    pass\n", "" },
	{ "B110", "try:\n    f()\nexcept Exception:\n    log()\n", "" },
	{ "B110", "try:\n    x = y.z\nexcept AttributeError:\n    x = 0\nexcept:\n    pass\n", "B110:5" },

	/* B112 try_except_continue */
	{ "B112", "for x in y:\n    try:\n        f()\n    except Exception:\n        continue\n", "B112:4" },
	{ "B112", "for x in y:\n    try:\n        f()\n    except ValueError:\n        continue\n", "" },

	/* B113 request_without_timeout */
	{ "B113", "import requests\nrequests.get(url)\n", "B113:2" },
	{ "B113", "import requests\nrequests.get(url, timeout=5)\n", "" },

	/* B201 flask_debug_true */
	{ "B201", "import flask\napp = flask.Flask(__name__)\napp.run(debug=True)\n", "B201:3" },
	{ "B201", "import flask\napp = flask.Flask(__name__)\napp.run(debug=False)\n", "" },

	/* B202 tarfile_unsafe_members */
	{ "B202", "import tarfile\ntarfile.open(path).extractall(dest)\n", "B202:2" },
	{ "B202", "import tarfile\ntarfile.open(path).extractall(dest, filter=\"data\")\n", "" },

	/* B301 pickle */
	{ "B301", "import pickle\npickle.loads(data)\n", "B301:2" },
	{ "B301", "import json\njson.loads(data)\n", "" },

	/* B302 marshal */
	{ "B302", "import marshal\nmarshal.loads(blob)\n", "B302:2" },
	{ "B302", "import marshal\nmarshal.dumps(obj)\n", "" },

	/* B303 md5 (pycrypto and cryptography) */
	{ "B303", "from Crypto.Hash import MD5\nMD5.new(data)\n", "B303:2" },
	{ "B303", "from Crypto.Hash import SHA256\nSHA256.new(data)\n", "" },

	/* B304 ciphers */
	{ "B304", "from Crypto.Cipher import DES\nDES.new(key)\n", "B304:2" },
	{ "B304", "from Crypto.Cipher import AES\nAES.new(key, AES.MODE_GCM)\n", "" },

	/* B305 cipher_modes */
	{ "B305", "from cryptography.hazmat.primitives.ciphers import modes\nmodes.ECB()\n", "B305:2" },
	{ "B305", "from cryptography.hazmat.primitives.ciphers import modes\nmodes.GCM(iv)\n", "" },

	/* B306 mktemp_q */
	{ "B306", "import tempfile\npath = tempfile.mktemp()\n", "B306:2" },
	{ "B306", "import tempfile\nfd, path = tempfile.mkstemp()\n", "" },

	/* B307 eval */
	{ "B307", "eval(user_input)\n", "B307:1" },
	{ "B307", "import ast\nast.literal_eval(user_input)\n", "" },

	/* B308 mark_safe */
	{ "B308", "from django.utils.safestring import mark_safe\nmark_safe(html)\n", "B308:2" },
	{ "B308", "from django.utils.html import escape\nescape(html)\n", "" },

	/* B310 urllib_urlopen */
	{ "B310", "import urllib.request\nurllib.request.urlopen(url)\n", "B310:2" },
	{ "B310", "import urllib.parse\nurllib.parse.urlparse(url)\n", "" },

	/* B311 random */
	{ "B311", "import random\ntoken = random.randint(0, 10**6)\n", "B311:2" },
	{ "B311", "import secrets\ntoken = secrets.randbelow(10**6)\n", "" },

	/* B312 telnetlib */
	{ "B312", "import telnetlib\ntelnetlib.Telnet(host)\n", "B312:2" },
	{ "B312", "import socket\nsocket.create_connection((host, 23))\n", "" },

	/* B313-B319 XML parsers */
	{ "B313", "import xml.etree.cElementTree as cET\ncET.fromstring(data)\n", "B313:2" },
	{ "B313", "import defusedxml.cElementTree as cET\ncET.fromstring(data)\n", "" },
	{ "B314", "import xml.etree.ElementTree as ET\nET.fromstring(data)\n", "B314:2" },
	{ "B314", "import defusedxml.ElementTree as ET\nET.fromstring(data)\n", "" },
	{ "B315", "import xml.sax.expatreader\nxml.sax.expatreader.create_parser()\n", "B315:2" },
	{ "B315", "import defusedxml.expatreader\ndefusedxml.expatreader.create_parser()\n", "" },
	{ "B316", "import xml.dom.expatbuilder\nxml.dom.expatbuilder.parse(data)\n", "B316:2" },
	{ "B316", "import defusedxml.expatbuilder\ndefusedxml.expatbuilder.parse(data)\n", "" },
	{ "B317", "import xml.sax\nxml.sax.parseString(data, handler)\n", "B317:2" },
	{ "B317", "import defusedxml.sax\ndefusedxml.sax.parseString(data, handler)\n", "" },
	{ "B318", "import xml.dom.minidom\nxml.dom.minidom.parse(data)\n", "B318:2" },
	{ "B318", "import defusedxml.minidom\ndefusedxml.minidom.parse(data)\n", "" },
	{ "B319", "import xml.dom.pulldom\nxml.dom.pulldom.parse(data)\n", "B319:2" },
	{ "B319", "import defusedxml.pulldom\ndefusedxml.pulldom.parse(data)\n", "" },

	/* B321 ftplib */
	{ "B321", "import ftplib\nftplib.FTP(host)\n", "B321:2" },
	{ "B321", "import ftplib\nftplib.FTP_TLS(host)\n", "" },

	/* B323 unverified_context */
	{ "B323", "import ssl\nssl._create_unverified_context()\n", "B323:2" },
	{ "B323", "import ssl\nssl.create_default_context()\n", "" },

	/* B324 hashlib */
	{ "B324", "import hashlib\nhashlib.md5(password).hexdigest()\n", "B324:2" },
	{ "B324", "import hashlib\nhashlib.new(\"sha1\")\n", "B324:2" },
	{ "B324", "import hashlib\nhashlib.md5(data, usedforsecurity=False)\n", "" },
	{ "B324", "import hashlib\nhashlib.sha256(data)\n", "" },

	/* B401-B415 imports */
	{ "B401", "import telnetlib\n", "B401:1" },
	{ "B401", "import socket\n", "" },
	{ "B402", "from ftplib import FTP\n", "B402:1" },
	{ "B402", "import ftputil\n", "" },
	{ "B403", "import pickle\n", "B403:1" },
	{ "B403", "import pickletools\n", "" },
	{ "B403", "x = 1\nif fast:\n    import pickle\ny = x\n", "B403:3" },
	{ "B404", "import subprocess\n", "B404:1" },
	{ "B404", "import os\n", "" },
	{ "B405", "import xml.etree.ElementTree as ET\n", "B405:1" },
	{ "B405", "import defusedxml.ElementTree as ET\n", "" },
	{ "B406", "import xml.sax\n", "B406:1" },
	{ "B406", "import defusedxml.sax\n", "" },
	{ "B407", "from xml.dom import expatbuilder\n", "B407:1" },
	{ "B407", "from defusedxml import expatbuilder\n", "" },
	{ "B408", "from xml.dom import minidom\n", "B408:1" },
	{ "B408", "from defusedxml import minidom\n", "" },
	{ "B409", "from xml.dom import pulldom\n", "B409:1" },
	{ "B409", "from defusedxml import pulldom\n", "" },
	{ "B411", "import xmlrpc.client\n", "B411:1" },
	{ "B411", "import xml\n", "" },
	{ "B412", "from wsgiref.handlers import CGIHandler\n", "B412:1" },
	{ "B412", "from wsgiref.handlers import SimpleHandler\n", "" },
	{ "B413", "from Crypto.Cipher import AES\n", "B413:1" },
	{ "B413", "from Cryptodome.Cipher import AES\n", "" },
	{ "B415", "from pyghmi.ipmi import command\n", "B415:1" },
	{ "B415", "import ipmi\n", "" },

	/* B501 request_with_no_cert_validation */
	{ "B501", "import requests\nrequests.get(url, verify=False)\n", "B501:2" },
	{ "B501", "import requests\nrequests.get(url, verify=True)\n", "" },
	{ "B501", "import requests\nrequests.get(url)\n", "" },

	/* B502 ssl_with_bad_version */
	{ "B502", "import ssl\nssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_SSLv3)\n", "B502:2" },
	{ "B502", "import ssl\nssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_TLS_CLIENT)\n", "" },

	/* B503 ssl_with_bad_defaults */
	{ "B503", "import ssl\ndef connect(host, version=ssl.PROTOCOL_TLSv1):\n    pass\n", "B503:2" },
	{ "B503", "import ssl\ndef connect(host, version=ssl.PROTOCOL_TLS_CLIENT):\n    pass\n", "" },

	/* B504 ssl_with_no_version */
	{ "B504", "import ssl\nssl.wrap_socket(sock)\n", "B504:2" },
	{ "B504", "import ssl\nssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_TLS_CLIENT)\n", "" },

	/* B505 weak_cryptographic_key */
	{ "B505", "from cryptography.hazmat.primitives.asymmetric import rsa\n"
		  "rsa.generate_private_key(public_exponent=65537, key_size=1024)\n", "B505:2" },
	{ "B505", "from cryptography.hazmat.primitives.asymmetric import rsa\n"
		  "rsa.generate_private_key(public_exponent=65537, key_size=4096)\n", "" },

	/* B506 yaml_load */
	{ "B506", "import yaml\nyaml.load(stream)\n", "B506:2" },
	{ "B506", "import yaml\nyaml.load(stream, Loader=yaml.SafeLoader)\n", "" },
	{ "B506", "import yaml\nyaml.safe_load(stream)\n", "" },

	/* B507 ssh_no_host_key_verification */
	{ "B507", "import paramiko\nclient.set_missing_host_key_policy(paramiko.AutoAddPolicy())\n", "B507:2" },
	{ "B507", "import paramiko\nclient.set_missing_host_key_policy(paramiko.RejectPolicy())\n", "" },

	/* B508 snmp_insecure_version */
	{ "B508", "from pysnmp.hlapi import CommunityData\nCommunityData(\"public\", mpModel=0)\n", "B508:2" },
	{ "B508", "from pysnmp.hlapi import CommunityData\nCommunityData(\"public\", mpModel=2)\n", "" },

	/* B509 snmp_weak_cryptography */
	{ "B509", "from pysnmp.hlapi import UsmUserData\nUsmUserData(\"securityName\")\n", "B509:2" },
	{ "B509", "from pysnmp.hlapi import UsmUserData\nUsmUserData(\"securityName\", \"auth\", \"priv\")\n", "" },

	/* B601 paramiko_calls */
	{ "B601", "import paramiko\nclient.exec_command(\"ls \" + path)\n", "B601:2" },
	{ "B601", "client.exec_command(\"ls \" + path)\n", "" },

	/* B602 subprocess_popen_with_shell_equals_true */
	{ "B602", "import subprocess\nsubprocess.call(\"ls \" + path, shell=True)\n", "B602:2" },
	{ "B602 B603", "import subprocess\nsubprocess.call(cmd, shell=False)\n", "B603:2" },
	/* import alias forms */
	{ "B602", "import subprocess as sp\nsp.call(x, shell=True)\n", "B602:2" },
	{ "B602", "from subprocess import call as c\nc(x, shell=True)\n", "B602:2" },
	{ "B602", "from subprocess import Popen\nPopen(x, shell=True)\n", "B602:2" },
	/* every target of a chain, past the few scope.c keeps at hand */
	{ "B602", "import subprocess as s\na = b = c = d = e = f = s.call\nf(x, shell=True)\na(x, shell=True)\n",
	  "B602:3 B602:4" },
	{ "B602", "import subprocess\nrun = subprocess.Popen\nrun(x, shell=True)\n", "B602:3" },
	/* a name rebound to something else is no longer the module */
	{ "B602 B604", "import subprocess as sp\nsp = other\nsp.call(x, shell=True)\n", "B604:3" },
	/* a literal command (severity low: see literal_command_lowers_b602_severity) */
	{ "B602", "import subprocess\nsubprocess.call(\"/bin/ls -l\", shell=True)\n", "B602:2" },

	/* B603 subprocess_without_shell_equals_true */
	{ "B603", "import subprocess\nsubprocess.run([program, arg])\n", "B603:2" },
	{ "B602 B603", "import subprocess\nsubprocess.run(cmd, shell=True)\n", "B602:2" },

	/* B604 any_other_function_with_shell_equals_true */
	{ "B604", "utils.execute(cmd, shell=True)\n", "B604:1" },
	{ "B604", "utils.execute(cmd, shell=False)\n", "" },
	{ "B604", "utils.execute(cmd)\n", "" },

	/* B605 start_process_with_a_shell */
	{ "B605", "import os\nos.system(\"rm \" + path)\n", "B605:2" },
	{ "B605", "import os\nos.getcwd()\n", "" },
	/* a function that is the file's first statement has a scope of its own: it sees the module's later aliases */
	{ "B602", "def z(cmd):\n    r(cmd, shell=True)\nimport subprocess\nr = subprocess.call\n", "B602:2" },
	/* an annotation without a value binds nothing in a module or class; in a function, os is then local */
	{ "B605", "import os\nos: int\nos.system(cmd)\n", "B605:3" },
	{ "B605", "import os\nclass C:\n    os: int\n    os.system(cmd)\n", "B605:4" },
	{ "B605", "import os\ndef f(cmd):\n    os: int\n    os.system(cmd)\n", "" },

	/* B606 start_process_with_no_shell */
	{ "B606", "import os\nos.execvp(program, args)\n", "B606:2" },
	{ "B606", "import os\nos.getpid()\n", "" },

	/* B607 start_process_with_partial_path */
	{ "B603 B607", "import subprocess\nsubprocess.call([\"git\", \"pull\"])\n", "B603:2 B607:2" },
	{ "B602 B607", "import subprocess\nsubprocess.call(\"ls\", shell=True)\n", "B602:2 B607:2" },
	{ "B603 B607", "import subprocess\nsubprocess.call([\"/usr/bin/git\", \"pull\"])\n", "B603:2" },

	/* B608 hardcoded_sql_expressions */
	{ "B608", "cursor.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)\n", "B608:1" },
	{ "B608", "q = \"DELETE FROM t WHERE id = \" + ident\n", "B608:1" },
	{ "B608", "cursor.execute(\"SELECT * FROM users WHERE name = %s\", (name,))\n", "" },
	{ "B608", "msg = \"selected \" + item\n", "" },
	{ "B608", "q = \"SELECT * FROM users \" f\"WHERE id = {uid}\"\n", "B608:1" },

	/* B609 linux_commands_wildcard_injection */
	{ "B609", "import os\nos.system(\"tar cf backup.tar *\")\n", "B609:2" },
	{ "B609", "import os\nos.system(\"tar cf backup.tar src\")\n", "" },

	/* B610 django_extra_used */
	{ "B610", "User.objects.extra(where=[\"name = '%s'\" % name])\n", "B610:1" },
	{ "B610", "User.objects.extra(where=[\"name = %s\"], params=[name])\n", "" },

	/* B611 django_rawsql_used */
	{ "B611", "from django.db.models.expressions import RawSQL\n"
		  "RawSQL(\"select id from t where name = '%s'\" % name, [])\n", "B611:2" },
	{ "B611", "from django.db.models.expressions import RawSQL\n"
		  "RawSQL(\"select id from t where name = %s\", [name])\n", "" },

	/* B612 logging_config_insecure_listen */
	{ "B612", "import logging.config\nlogging.config.listen(9999)\n", "B612:2" },
	{ "B612", "import logging.config\nlogging.config.listen(9999, verify=check)\n", "" },

	/* B613 trojansource: U+202E and U+2066 in a string */
	{ "B613", "access_level = \"user\xe2\x80\xae \xe2\x81\xa6# admin only\xe2\x81\xa9 \xe2\x81\xa6\"\n", "B613:1" },
	{ "B613", "access_level = \"user \xc3\xa9t\xc3\xa9\"\n", "" },

	/* B614 pytorch_load */
	{ "B614", "import torch\ntorch.load(\"model.pt\")\n", "B614:2" },
	{ "B614", "import torch\ntorch.load(\"model.pt\", weights_only=True)\n", "" },

	/* B615 huggingface_unsafe_download */
	{ "B615", "from transformers import AutoModel\nAutoModel.from_pretrained(\"org/model\")\n", "B615:2" },
	{ "B615", "from transformers import AutoModel\n"
		  "AutoModel.from_pretrained(\"org/model\", revision=\"0123456789abcdef\")\n", "" },

	/* B701 jinja2_autoescape_false */
	{ "B701", "import jinja2\njinja2.Environment(loader=loader)\n", "B701:2" },
	{ "B701", "import jinja2\njinja2.Environment(loader=loader, autoescape=False)\n", "B701:2" },
	{ "B701", "import jinja2\njinja2.Environment(loader=loader, autoescape=True)\n", "" },
	{ "B701", "import jinja2\njinja2.Environment(loader=l, autoescape=jinja2.select_autoescape())\n", "" },

	/* B702 use_of_mako_templates */
	{ "B702", "import mako.template\nmako.template.Template(text)\n", "B702:2" },
	{ "B702", "import string\nstring.Template(text)\n", "" },

	/* B703 django_mark_safe */
	{ "B703", "from django.utils.safestring import mark_safe\nmark_safe(html)\n", "B703:2" },
	{ "B703", "from django.utils.safestring import mark_safe\nmark_safe(\"<b>static</b>\")\n", "" },

	/* B704 markupsafe_markup_xss */
	{ "B704", "from markupsafe import Markup\nMarkup(f\"<b>{name}</b>\")\n", "B704:2" },
	{ "B704", "from markupsafe import Markup\nMarkup(\"<b>static</b>\")\n", "" },

	/* Scoping: a name means what Python makes it mean where it is used */
	/* a parameter, lambda parameter, comprehension variable, except/with name, loop variable */
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\ndef f(run):\n    return run(cmd, shell=True)\n",
	  "B604:4" },
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\nf = lambda run: run(cmd, shell=True)\n", "B604:3" },
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\n[run(c, shell=True) for run in runners]\n",
	  "B604:3" },
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\ntry:\n    pass\nexcept E as run:\n"
		       "    run(cmd, shell=True)\n", "B604:6" },
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\ndef f():\n    with pool() as run:\n"
		       "        run(cmd, shell=True)\n", "B604:5" },
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\ndef f():\n    for run in runners:\n"
		       "        run(cmd, shell=True)\n", "B604:5" },
	/* a comprehension variable ends with the comprehension; the alias is back after it */
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\nx = [run for run in y]\nrun(cmd, shell=True)\n",
	  "B602:4" },
	/* a class body's names do not reach its methods, and reach its own statements */
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\nclass C:\n    run = print\n"
		       "    def m(self):\n        return run(cmd, shell=True)\n", "B602:6" },
	{ "B602 B604", "import subprocess\nrun = subprocess.Popen\nclass C:\n    run = print\n"
		       "    x = run(cmd, shell=True)\n", "B604:5" },
	/* a module-level def, class or object rebinds a builtin's or a module's name */
	{ "B307", "def eval(expr):\n    return expr\neval(x)\n", "" },
	{ "B307", "eval(x)\ndef eval(expr):\n    return expr\n", "B307:1" },
	{ "B307", "class eval:\n    pass\neval(x)\n", "" },
	{ "B602 B604", "import subprocess\nsubprocess = FakeRunner()\nsubprocess.call(cmd, shell=True)\n", "B604:3" },
	{ "B301", "import pickle\npickle = Cache()\npickle.loads(data)\n", "" },
	/* ... but a conditional fallback keeps the module */
	{ "B506", "try:\n    import yaml\nexcept ImportError:\n    yaml = None\ndef f():\n    yaml.load(d)\n", "B506:6" },
	/* global and nonlocal */
	{ "B602 B604", "import subprocess\ndef setup():\n    global run\n    run = subprocess.call\n"
		       "def f():\n    run(cmd, shell=True)\n", "B602:6" },
	{ "B602 B604", "import subprocess\ndef outer():\n    run = subprocess.call\n    def inner():\n"
		       "        nonlocal run\n        run(cmd, shell=True)\n", "B602:6" },
	{ "B602 B604", "import subprocess\nrun = subprocess.call\ndef outer():\n    run = print\n    def inner():\n"
		       "        run(cmd, shell=True)\n", "B604:6" },
	/* a function sees the module's names when it runs: an alias assigned after the def counts */
	{ "B602 B604", "import subprocess\ndef f():\n    return run(cmd, shell=True)\nrun = subprocess.Popen\n",
	  "B602:3" },
	{ "B602 B604", "import subprocess\nrun(cmd, shell=True)\nrun = subprocess.Popen\n", "B604:2" },
	/* from M import * binds what M exports (rules/exports.rule) */
	{ "B602 B604", "from subprocess import *\ncall(cmd, shell=True)\n", "B602:2" },
	{ "B605", "from os import *\nsystem(cmd)\n", "B605:2" },
	/* imports and attributes named by literals */
	{ "B602 B604", "import importlib\nsp = importlib.import_module(\"subprocess\")\nsp.call(cmd, shell=True)\n",
	  "B602:3" },
	{ "B602 B604", "sp = __import__(\"subprocess\")\nsp.call(cmd, shell=True)\n", "B602:2" },
	{ "B602 B604", "__import__(\"subprocess\").call(cmd, shell=True)\n", "B602:1" },
	{ "B605", "import os\ngetattr(os, \"system\")(cmd)\n", "B605:2" },
	{ "B605", "import os\nrun = getattr(os, \"system\")\nrun(cmd)\n", "B605:3" },
	{ "B605", "import os\ngetattr(os, name)(cmd)\n", "" },
	{ "B605", "import os\ndef getattr(o, n):\n    pass\ngetattr(os, \"system\")(cmd)\n", "" },

	/* `# nosec` */
#define SHELL_LS "import subprocess\nsubprocess.call(\"ls\", shell=True)"	/* B602 and B607 on line 2 */
	{ "B602 B607", SHELL_LS "  # nosec\n", "" },
	{ "B602 B607", SHELL_LS "  #nosec\n", "" },
	{ "B602 B607", SHELL_LS "  # nosec B602\n", "B607:2" },
	{ "B602 B607", SHELL_LS "  # nosec B602,B607\n", "" },
	{ "B602 B607", SHELL_LS "  # nosec B602, B607\n", "" },
	{ "B602 B607", SHELL_LS "  # nosec: b602 b607\n", "" },
	{ "B602 B607", SHELL_LS "  # nosec B602 B607 -- reviewed by sec team\n", "" },
	{ "B602 B607", SHELL_LS "  # nosec subprocess_popen_with_shell_equals_true\n", "B607:2" },
	{ "B602 B607", SHELL_LS "  # nosec B999\n", "B602:2 B607:2" },
	{ "B602 B607", SHELL_LS "  # nosec,\n", "B602:2 B607:2" },
	{ "B602 B607", SHELL_LS "  # nosecurity\n", "B602:2 B607:2" },
	{ "B602", "import subprocess\nsubprocess.call(x, shell=True, note=\"# nosec\")\n", "B602:2" },
	{ "B602", "import subprocess\n# nosec\nsubprocess.call(x, shell=True)\n", "B602:3" },
	{ "B602", "import subprocess\nsubprocess.call(  # nosec\n    x,\n    shell=True)\n", "" },
};

/* Is `rule` one of the blank-separated ids of `list`? */
static int listed(const char *rule, const char *list)
{
	size_t n = strlen(rule);
	const char *p;

	for (p = strstr(list, rule); p; p = strstr(p + 1, rule))
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == ':'))
			return 1;
	return 0;
}

/* The report's findings of the rules in `scope`, as "RULE:LINE RULE:LINE". */
static const char *found_in(const pysec_report *r, const char *scope)
{
	static char out[4096];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < pysec_report_finding_count(r); i++) {
		const pysec_finding *f = pysec_report_finding(r, i);
		if (listed(f->rule, scope))
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:%u", n ? " " : "", f->rule, f->line);
	}
	return out;
}

static void every_case_reports_what_it_should(void **state)
{
	size_t i, failures = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pysec_report *r = scan(cases[i].src);
		const char *got = found_in(r, cases[i].scope);
		if (strcmp(got, cases[i].expect)) {
			print_error("case %zu (%s):\n%s  expected \"%s\", got \"%s\" (all findings: \"%s\")\n",
				i, cases[i].scope, cases[i].src, cases[i].expect, got, found(r));
			failures++;
		}
		pysec_report_free(r);
	}
	assert_int_equal(failures, 0);
}

static void every_builtin_rule_has_positive_and_negative_cases(void **state)
{
	size_t i, k, missing = 0;

	assert_true(pysec_engine_rule_count(engine) > 0);
	for (i = 0; i < pysec_engine_rule_count(engine); i++) {
		const pysec_rule_info *info = pysec_engine_rule(engine, i);
		int positive = 0, negative = 0;
		if (strncmp(info->source, "builtin:python/", 15))
			continue;
		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			if (!listed(info->id, cases[k].scope))
				continue;
			if (listed(info->id, cases[k].expect))
				positive = 1;
			else
				negative = 1;
		}
		if (!positive || !negative) {
			print_error("rule %s (%s) needs a case that finds it and one that must not\n",
				info->id, info->source);
			missing++;
		}
	}
	assert_null(pysec_engine_rule(engine, i));
	assert_int_equal(missing, 0);
}

/* --- what a finding says -------------------------------------------------------- */

static void literal_command_lowers_b602_severity(void **state)
{
	pysec_report *r = scan("import subprocess\n"
		"subprocess.call(\"/bin/ls -l\", shell=True)\n"
		"subprocess.call(cmd, shell=True)\n");
	const pysec_finding *literal, *variable;

	assert_string_equal(found_in(r, "B602"), "B602:2 B602:3");
	literal = finding_at(r, "B602", 2);
	variable = finding_at(r, "B602", 3);
	assert_int_equal(literal->severity, PYSEC_LEVEL_LOW);
	assert_int_equal(variable->severity, PYSEC_LEVEL_HIGH);
	assert_string_not_equal(literal->message, variable->message);
	pysec_report_free(r);
}

static void finding_carries_rule_metadata_and_place(void **state)
{
	pysec_report *r = scan("import subprocess\n\n    \nx = subprocess.call(cmd,\n    shell=True)\n");
	const pysec_finding *f;

	assert_string_equal(found_in(r, "B602"), "B602:4");
	f = finding_of(r, "B602");
	assert_string_equal(f->path, "t.py");
	assert_int_equal(f->line, 4);
	assert_int_equal(f->column, 5);	/* 1-based: the call starts after "x = " */
	assert_int_equal(f->end_line, 5);
	assert_int_equal(f->end_column, 16);
	assert_int_equal(f->severity, PYSEC_LEVEL_HIGH);
	assert_int_equal(f->confidence, PYSEC_LEVEL_HIGH);
	assert_int_equal(f->cwe, 78);
	assert_non_null(f->message);
	assert_non_null(f->fix);
	assert_string_equal(f->code, "x = subprocess.call(cmd,");
	assert_null(f->commit);
	assert_non_null(f->fingerprint);
	assert_int_equal(strlen(f->fingerprint), 16);
	pysec_report_free(r);
}

/* --- `# nosec` warnings ----------------------------------------------------------- */

static void nosec_with_unknown_id_warns_and_suppresses_nothing(void **state)
{
	pysec_report *r = scan("import subprocess\nsubprocess.call(x, shell=True)  # nosec B999\n");
	const pysec_entry *e;

	assert_string_equal(found_in(r, "B602"), "B602:2");
	assert_int_equal(count_entries(r, PYSEC_ENTRY_WARNING), 1);
	e = first_entry(r, PYSEC_ENTRY_WARNING);
	assert_string_equal(e->path, "t.py");
	assert_int_equal(e->line, 2);
	assert_non_null(strstr(e->message, "B999"));
	assert_int_equal(count_entries(r, PYSEC_ENTRY_ERROR), 0);
	pysec_report_free(r);
}

static void nosec_with_known_and_unknown_ids_keeps_the_known(void **state)
{
	pysec_report *r = scan("import subprocess\nsubprocess.call(\"ls\", shell=True)  # nosec B602, B999\n");

	assert_string_equal(found_in(r, "B602 B607"), "B607:2");
	assert_int_equal(count_entries(r, PYSEC_ENTRY_WARNING), 1);
	assert_non_null(strstr(first_entry(r, PYSEC_ENTRY_WARNING)->message, "B999"));
	pysec_report_free(r);
}

static void nosec_with_trailing_comma_warns_and_suppresses_nothing(void **state)
{
	pysec_report *r = scan("import subprocess\nsubprocess.call(x, shell=True)  # nosec,\n");

	assert_string_equal(found_in(r, "B602"), "B602:2");
	assert_int_equal(count_entries(r, PYSEC_ENTRY_WARNING), 1);
	assert_int_equal(first_entry(r, PYSEC_ENTRY_WARNING)->line, 2);
	pysec_report_free(r);
}

static void nosec_in_a_string_is_not_a_suppression(void **state)
{
	pysec_report *r = scan("import subprocess\n"
		"subprocess.call(x + \"# nosec\", shell=True)\n"
		"subprocess.call(x, shell=True, note='''\n# nosec\n''')\n");

	assert_string_equal(found_in(r, "B602"), "B602:2 B602:3");
	assert_int_equal(pysec_report_entry_count(r), 0);
	pysec_report_free(r);
}

static void valid_nosec_gives_no_entries(void **state)
{
	pysec_report *r = scan("import subprocess\nsubprocess.call(\"ls\", shell=True)  # nosec B602, B607\n");

	assert_string_equal(found_in(r, "B602 B607"), "");
	assert_int_equal(pysec_report_entry_count(r), 0);
	pysec_report_free(r);
}

static pysec_engine *engine_with(const char *key, const char *value);

/* --- Ruff's `# noqa` ------------------------------------------------------------------ */

static void noqa_with_a_ruff_code_is_a_nosec(void **state)
{
	pysec_report *r = scan("import subprocess\n"
		"subprocess.call(x, shell=True)  # noqa: S602\n"
		"subprocess.call(x, shell=True)  # NOQA:E501,S602 # a reason\n"
		"subprocess.call(x, shell=True)  # type: ignore # noqa: S602\n"
		"subprocess.call(x, shell=True)  # noqa: S603\n");

	assert_string_equal(found_in(r, "B602"), "B602:5");
	assert_int_equal(pysec_report_entry_count(r), 0);
	pysec_report_free(r);
}

static void noqa_with_an_unknown_s_code_warns_and_suppresses_nothing(void **state)
{
	pysec_report *r = scan("import subprocess\nsubprocess.call(x, shell=True)  # noqa: S999, E501\n");
	const pysec_entry *e;

	assert_string_equal(found_in(r, "B602"), "B602:2");
	assert_int_equal(count_entries(r, PYSEC_ENTRY_WARNING), 1);
	e = first_entry(r, PYSEC_ENTRY_WARNING);
	assert_int_equal(e->line, 2);
	assert_non_null(strstr(e->message, "'# noqa: S999'"));
	pysec_report_free(r);
}

static void noqa_without_codes_or_with_others_suppresses_nothing(void **state)
{
	pysec_report *r = scan("import subprocess\n"
		"subprocess.call(x, shell=True)  # noqa\n"
		"subprocess.call(x, shell=True)  # noqa: E501, SIM102, B602\n"
		"subprocess.call(x, shell=True)  # noqa S602\n"
		"subprocess.call(x + '# noqa: S602', shell=True)\n");

	assert_string_equal(found_in(r, "B602"), "B602:2 B602:3 B602:4 B602:5");
	assert_int_equal(pysec_report_entry_count(r), 0);
	pysec_report_free(r);
}

static void noqa_and_nosec_on_lines_of_one_call_both_count(void **state)
{
	pysec_report *r = scan("import subprocess\n"
		"subprocess.call(\"ls\",  # noqa: S607\n"
		"    shell=True)  # nosec B602\n");

	assert_string_equal(found_in(r, "B602 B607"), "");
	pysec_report_free(r);
}

static void ruff_ids_name_rules_where_ids_are_taken(void **state)
{
	pysec_engine *e = engine_with("pysec.disable", "S602, s101");
	pysec_report *r;

	assert_string_equal(pysec_engine_rule_find(engine, "S602")->id, "B602");
	assert_string_equal(pysec_engine_rule_find(engine, "s602")->id, "B602");
	assert_null(pysec_engine_rule_find(engine, "S999"));
	assert_null(pysec_engine_rule_find(engine, "S320"));	/* Ruff's, and no rule of pysec's */
	r = scan_with(e, "import subprocess\nsubprocess.call(\"ls\", shell=True)\nassert x\n");
	assert_string_equal(found_in(r, "B602 B607 B101"), "B607:2");
	pysec_report_free(r);
	r = scan_with(engine, "import subprocess\nsubprocess.call(\"ls\", shell=True)  # nosec S602 S607\n");
	assert_string_equal(found_in(r, "B602 B607"), "");
	pysec_report_free(r);
	pysec_engine_free(e);
}

/* --- syntax errors ------------------------------------------------------------------ */

static void syntax_error_keeps_findings_and_adds_an_error(void **state)
{
	pysec_report *r = scan("import subprocess\n"
		"subprocess.call(x, shell=True)\n"
		"def broken(:\n"
		"    pass\n"
		"eval(y)\n");
	const pysec_entry *e;

	assert_string_equal(found_in(r, "B602 B307"), "B602:2 B307:5");
	assert_int_equal(count_entries(r, PYSEC_ENTRY_ERROR), 1);
	e = first_entry(r, PYSEC_ENTRY_ERROR);
	assert_string_equal(e->path, "t.py");
	assert_int_equal(e->line, 3);
	assert_non_null(strstr(e->message, "syntax error"));
	pysec_report_free(r);
}

static void unterminated_file_reports_what_came_before(void **state)
{
	pysec_report *r = scan("assert ok\nx = (\n");

	assert_string_equal(found_in(r, "B101"), "B101:1");
	assert_int_equal(count_entries(r, PYSEC_ENTRY_ERROR), 1);
	pysec_report_free(r);
}

/* --- configuration ---------------------------------------------------------------- */

static pysec_engine *engine_with(const char *key, const char *value)
{
	pysec_config *cfg;
	pysec_engine *e;

	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_config_set(cfg, key, value), 0);
	assert_int_equal(pysec_engine_new(&e, cfg), 0);
	pysec_config_free(cfg);	/* the engine keeps nothing of it */
	return e;
}

static void engine_with_empty_config_is_the_default(void **state)
{
	static const char src[] = "import subprocess\nsubprocess.call(x, shell=True)  # nosec B999\n";
	pysec_config *cfg;
	pysec_engine *e;
	pysec_report *with_cfg, *without;

	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_engine_new(&e, cfg), 0);
	pysec_config_free(cfg);
	assert_int_equal(pysec_engine_rule_count(e), pysec_engine_rule_count(engine));
	with_cfg = scan_with(e, src);
	without = scan(src);
	assert_string_equal(found_in(with_cfg, "B602"), "B602:2");
	assert_int_equal(pysec_report_finding_count(with_cfg), pysec_report_finding_count(without));
	assert_int_equal(pysec_report_entry_count(with_cfg), pysec_report_entry_count(without));
	pysec_report_free(with_cfg);
	pysec_report_free(without);
	pysec_engine_free(e);
}

static void disable_removes_a_rule(void **state)
{
	pysec_engine *e = engine_with("pysec.disable", "B602");
	pysec_report *r;

	r = scan_with(e, "import subprocess\nsubprocess.call(\"ls\", shell=True)\nassert x\n");
	assert_string_equal(found_in(r, "B602 B607 B101"), "B607:2 B101:3");
	pysec_report_free(r);
	/* still listed, as disabled; and `# nosec B602` still names a known rule */
	assert_false(pysec_engine_rule_find(e, "B602")->enabled);
	assert_true(pysec_engine_rule_find(e, "B607")->enabled);
	r = scan_with(e, "import subprocess\nsubprocess.call(\"ls\", shell=True)  # nosec B602\n");
	assert_string_equal(found_in(r, "B602 B607"), "B607:2");
	assert_int_equal(pysec_report_entry_count(r), 0);
	pysec_report_free(r);
	pysec_engine_free(e);
}

static void disable_takes_a_list(void **state)
{
	pysec_engine *e = engine_with("pysec.disable", "B602, B607 B101");
	pysec_report *r;

	r = scan_with(e, "import subprocess\nsubprocess.call(\"ls\", shell=True)\nassert x\neval(y)\n");
	assert_string_equal(found_in(r, "B602 B607 B101 B307"), "B307:4");
	pysec_report_free(r);
	pysec_engine_free(e);
}

static void nosec_false_ignores_nosec(void **state)
{
	pysec_engine *e = engine_with("pysec.nosec", "false");
	pysec_report *r;

	r = scan_with(e, "import subprocess\n"
		"subprocess.call(x, shell=True)  # nosec\n"
		"subprocess.call(x, shell=True)  # nosec B602\n");
	assert_string_equal(found_in(r, "B602"), "B602:2 B602:3");
	pysec_report_free(r);
	pysec_engine_free(e);
}

static void option_in_config_changes_what_a_rule_matches(void **state)
{
	pysec_engine *e = engine_with("pysec.shell-injection.subprocess", "mylib.spawn");
	pysec_report *r;
	const char *got;

	r = scan_with(e, "import mylib, subprocess\n"
		"mylib.spawn(x, shell=True)\n"
		"subprocess.call(x, shell=True)\n");
	got = found_in(r, "B602 B603 B604");
	pysec_report_free(r);
	pysec_engine_free(e);
	/* subprocess.call is now just another function that takes shell=True (B604) */
	assert_string_equal(got, "B602:2 B604:3");
}

/* B104 and B108 report a string where it can act as an address or a path; the option restores Bandit's anywhere */
static void literal_anywhere_is_bandit_s_behaviour(void **state)
{
	static const char src[] = "MOUNTS = (\"/\", \"/tmp\")\nif p == \"/tmp\":\n    pass\nopen(\"/tmp/x\")\n"
				  "HOSTS = [\"0.0.0.0\"]\nrun(host=\"0.0.0.0\")\n";
	pysec_engine *e;
	pysec_report *r;
	const char *got;

	r = scan(src);
	assert_string_equal(found_in(r, "B104 B108"), "B108:4 B104:6");
	pysec_report_free(r);
	e = engine_with("pysec.hardcoded-tmp-directory.literal-anywhere", "true");
	r = scan_with(e, src);
	got = found_in(r, "B104 B108");
	assert_string_equal(got, "B108:1 B108:2 B108:4 B104:6");
	pysec_report_free(r);
	pysec_engine_free(e);
	e = engine_with("pysec.hardcoded-bind-all-interfaces.literal-anywhere", "true");
	r = scan_with(e, src);
	assert_string_equal(found_in(r, "B104 B108"), "B108:4 B104:5 B104:6");
	pysec_report_free(r);
	pysec_engine_free(e);
}

static void engines_do_not_depend_on_earlier_engines(void **state)
{
	static const char *const policies[][2] = {
		{ "pysec.disable", "B101" }, { "pysec.disable", "B602, B607 B101" },
		{ "pysec.nosec", "false" }, { "pysec.enable", "all" }, { "pysec.disable", "B307" },
	};
	size_t i, k, misses = 0;

	/*
	 * A new engine finds what its rules find whatever engines were made
	 * and freed before it, whatever their memory held: B604, whose call
	 * glob "*" is the first of the engine's sorted globs (each glob is
	 * marked when it repeats the one before it, the first one too).
	 */
	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		for (k = 0; k < 3; k++) {
			pysec_engine *other = engine_with(policies[i][0], policies[i][1]), *e;
			pysec_report *r;
			pysec_engine_free(other);
			assert_int_equal(pysec_engine_new(&e, NULL), 0);
			r = scan_with(e, "utils.execute(cmd, shell=True)\n");
			if (strcmp(found_in(r, "B604"), "B604:1")) {
				print_error("after an engine with %s = %s: B604 not found\n", policies[i][0],
					policies[i][1]);
				misses++;
			}
			pysec_report_free(r);
			pysec_engine_free(e);
		}
	}
	assert_int_equal(misses, 0);
}

/*
 * A secret rule's regex is interpreted until it has searched 4 KiB, then
 * JIT-compiled (walk.h, PRED_JIT_AFTER): a fresh engine finds the same
 * secrets before the switch, on the file that makes it, and after it.
 */
static void secrets_are_found_on_both_sides_of_the_jit(void **state)
{
	static const char key[] = "key = \"AKIAQWERTYUIOPASDFGH\"\n";
	size_t i, filler = 1000, len = 0;
	char *big = malloc(filler * 6 + sizeof(key));
	pysec_engine *e;
	pysec_report *r;

	assert_non_null(big);
	for (i = 0; i < filler; i++, len += 6)
		memcpy(big + len, "x = 1\n", 6);
	memcpy(big + len, key, sizeof(key));
	assert_int_equal(pysec_engine_new(&e, NULL), 0);
	r = scan_with(e, key);
	assert_string_equal(found_in(r, "PS202"), "PS202:1");
	pysec_report_free(r);
	r = scan_with(e, big);
	assert_string_equal(found_in(r, "PS202"), "PS202:1001");
	pysec_report_free(r);
	r = scan_with(e, key);
	assert_string_equal(found_in(r, "PS202"), "PS202:1");
	pysec_report_free(r);
	pysec_engine_free(e);
	free(big);
}

/* --- hostile input ------------------------------------------------------------------ */

/*
 * Scan `len` bytes of `data` in a child process, so that a crash or a hang
 * fails this test instead of ending the whole program.  The child exits 0
 * when pysec_scan_buffer returned 0.  Returns NULL when the scan ended
 * well, else how it ended.
 */
#define HOSTILE_TIME_LIMIT 30	/* seconds; these inputs take well under one */

static const char *scan_in_child(const char *data, size_t len)
{
	static char why[128];
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return "fork failed";
	if (pid == 0) {
		pysec_report *r;
		int rc;
		alarm(HOSTILE_TIME_LIMIT);
		pysec_report_new(&r);
		rc = pysec_scan_buffer(r, engine, "hostile.py", data, len);
		pysec_report_free(r);
		/* _exit: the parent's objects are not the child's to free (nor LeakSanitizer's to count) */
		_exit(rc == 0 ? 0 : 100);
	}
	if (waitpid(pid, &status, 0) != pid)
		return "waitpid failed";
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(why, sizeof(why), "the scan did not finish in %d s", HOSTILE_TIME_LIMIT);
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "the scan was killed by signal %d (%s)", WTERMSIG(status),
			strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == 100)
		snprintf(why, sizeof(why), "pysec_scan_buffer did not return 0");
	else if (WEXITSTATUS(status) != 0)
		snprintf(why, sizeof(why), "the scan exited with status %d (a sanitizer report?)",
			WEXITSTATUS(status));
	else
		return NULL;
	return why;
}

static void assert_scan_survives(const char *what, const char *data, size_t len)
{
	const char *why = scan_in_child(data, len);

	if (why)
		fail_msg("%s: %s", what, why);
}

/* The same for a buffer of ours, which is freed first. */
static void assert_scan_survives_free(const char *what, char *data, size_t len)
{
	const char *why = scan_in_child(data, len);

	free(data);
	if (why)
		fail_msg("%s: %s", what, why);
}

static char *repeat(const char *head, const char *unit, size_t times, const char *tail, size_t *len)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * times + tl + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	for (i = 0; i < times; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + ul * times, tail, tl + 1);
	*len = hl + ul * times + tl;
	return s;
}

static void hostile_empty_buffer(void **state)
{
	pysec_report *r = scan_len_with(engine, "", 0);

	assert_int_equal(pysec_report_finding_count(r), 0);
	assert_int_equal(pysec_report_entry_count(r), 0);
	pysec_report_free(r);
	assert_scan_survives("an empty buffer", "", 0);
}

static void hostile_only_nul_bytes(void **state)
{
	static const char zeros[65536];

	assert_scan_survives("64 KiB of NUL bytes", zeros, sizeof(zeros));
	assert_scan_survives("one NUL byte", zeros, 1);
}

static void hostile_invalid_utf8(void **state)
{
	static const char bad[] =
		"\xff\xfe\xfd\n"
		"\xc3\x28 = '\xe2\x82'\n"
		"eval(x)  # \x80 nosec \xff\n"
		"s = \"\xed\xa0\x80\xf8\x88\x80\x80\x80\"\n"
		"password = '\xc0\xaf'\n";
	pysec_report *r;

	assert_scan_survives("invalid UTF-8", bad, sizeof(bad) - 1);
	r = scan_len_with(engine, bad, sizeof(bad) - 1);
	assert_non_null(finding_of(r, "B307"));	/* what parses is still scanned */
	pysec_report_free(r);
}

static void hostile_deeply_nested_brackets(void **state)
{
	size_t len;
	char *s = repeat("", "(", 100000, "", &len);
	pysec_report *r;

	/*
	 * libtree-sitter 0.20.7 frees twice on 65,535 or more unclosed
	 * brackets (tree-sitter#2134); the engine must not hand it such input,
	 * and says so with an error entry.
	 */
	assert_scan_survives_free("100000 nested '('", s, len);
	s = repeat("", "(", 100000, "", &len);
	r = scan_len_with(engine, s, len);
	free(s);
	assert_int_equal(count_entries(r, PYSEC_ENTRY_ERROR), 1);
	pysec_report_free(r);
	s = repeat("x = ", "f(", 70000, "", &len);
	assert_scan_survives_free("70000 nested calls", s, len);
}

static void hostile_many_syntax_errors(void **state)
{
	size_t len;
	char *s;

	/*
	 * The same libtree-sitter 0.20.7 fault (tree-sitter#2134) without any
	 * bracket for the bracket-depth guard to count: some 65,536 statements
	 * that each fail to parse make ts_tree_delete() free memory it does
	 * not own.  The scan survives them (arena.c says how).
	 */
	s = repeat("", "if ", 70000, "", &len);
	assert_scan_survives_free("70000 times 'if ' on one line (210 KB)", s, len);
	s = repeat("", "x =\n", 70000, "", &len);
	assert_scan_survives_free("70000 lines of 'x ='", s, len);
	s = repeat("", "try:\n", 70000, "", &len);
	assert_scan_survives_free("70000 lines of 'try:'", s, len);
}

static void hostile_2mb_single_line(void **state)
{
	enum { MB2 = 2 * 1024 * 1024 };
	size_t len;
	char *s;

	s = repeat("x = \"", "a", MB2, "\"", &len);
	assert_scan_survives_free("a 2 MB string literal on one line", s, len);
	s = repeat("", "a", MB2, "", &len);
	assert_scan_survives_free("a 2 MB identifier", s, len);
	s = repeat("eval(x)  # ", "nosec ", MB2 / 6, "", &len);
	assert_scan_survives_free("a 2 MB comment of nosec words", s, len);
	s = repeat("x = 1", " + 1", MB2 / 4, "", &len);
	assert_scan_survives_free("a 2 MB sum on one line", s, len);
}

static void hostile_2mb_line_of_string_concatenation(void **state)
{
	size_t len;
	char *s = repeat("q = 'a'", " + 'a'", 2 * 1024 * 1024 / 6, "", &len);

	/* B608 judges each `+` chain once, not once per string in it (that was quadratic) */
	assert_scan_survives_free("a 2 MB line of 'a' + 'a' + ...", s, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_case_reports_what_it_should),
		cmocka_unit_test(every_builtin_rule_has_positive_and_negative_cases),
		cmocka_unit_test(literal_command_lowers_b602_severity),
		cmocka_unit_test(finding_carries_rule_metadata_and_place),
		cmocka_unit_test(nosec_with_unknown_id_warns_and_suppresses_nothing),
		cmocka_unit_test(nosec_with_known_and_unknown_ids_keeps_the_known),
		cmocka_unit_test(noqa_with_a_ruff_code_is_a_nosec),
		cmocka_unit_test(noqa_with_an_unknown_s_code_warns_and_suppresses_nothing),
		cmocka_unit_test(noqa_without_codes_or_with_others_suppresses_nothing),
		cmocka_unit_test(noqa_and_nosec_on_lines_of_one_call_both_count),
		cmocka_unit_test(ruff_ids_name_rules_where_ids_are_taken),
		cmocka_unit_test(nosec_with_trailing_comma_warns_and_suppresses_nothing),
		cmocka_unit_test(nosec_in_a_string_is_not_a_suppression),
		cmocka_unit_test(valid_nosec_gives_no_entries),
		cmocka_unit_test(syntax_error_keeps_findings_and_adds_an_error),
		cmocka_unit_test(unterminated_file_reports_what_came_before),
		cmocka_unit_test(engine_with_empty_config_is_the_default),
		cmocka_unit_test(disable_removes_a_rule),
		cmocka_unit_test(disable_takes_a_list),
		cmocka_unit_test(nosec_false_ignores_nosec),
		cmocka_unit_test(option_in_config_changes_what_a_rule_matches),
		cmocka_unit_test(literal_anywhere_is_bandit_s_behaviour),
		cmocka_unit_test(engines_do_not_depend_on_earlier_engines),
		cmocka_unit_test(secrets_are_found_on_both_sides_of_the_jit),
		cmocka_unit_test(hostile_empty_buffer),
		cmocka_unit_test(hostile_only_nul_bytes),
		cmocka_unit_test(hostile_invalid_utf8),
		cmocka_unit_test(hostile_deeply_nested_brackets),
		cmocka_unit_test(hostile_many_syntax_errors),
		cmocka_unit_test(hostile_2mb_single_line),
		cmocka_unit_test(hostile_2mb_line_of_string_concatenation),
	};

	return cmocka_run_group_tests(tests, engine_setup, engine_teardown);
}
