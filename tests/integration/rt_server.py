"""A throw-away Request Tracker 5 for the tests: Debian's RT with a private configuration
folder (RT_SITE_CONFIG_DIR), an SQLite database in a temporary folder, bcrypt cost 4, served
by rt-server on 127.0.0.1. See ../shared/notes/debian-facts.md."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kb.plugins.request_tracker.client import RTClient

RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_LIB = Path("/usr/share/request-tracker5/lib")
SETUP_DATABASE = Path("/usr/sbin/rt-setup-database-5")
REPO = Path(__file__).resolve().parents[2]
SCRIP = REPO / "docs" / "examples" / "rt-scrip-kb-ticket-resolved.pl"
ROOT_PASSWORD = "password"
TECHNICIAN = "tech"
TECHNICIAN_PASSWORD = "tech-password"

SITE_CONFIG = """\
Set($rtname, 'kb-test');
Set($Organization, 'kb.test');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{folder}/rt.sqlite');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebPath, '/rt');
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set($MasonDataDir, '{folder}/mason');
Set($MasonSessionDir, '{folder}/sessions');
Set($MailCommand, 'testfile');
Set($CorrespondAddress, 'rt@kb.test');
Set($CommentAddress, 'rt-comment@kb.test');
Set($BcryptCost, 4);
Set($LogToSyslog, undef);
Set($LogToSTDERR, 'error');
Set($KBTicketResolvedURL, 'http://127.0.0.1:{kb_port}/api/v1/integrations/rt/ticket-resolved');
Set($KBScripSecret, '{secret}');
1;
"""

# An API token for root, and a technician who works tickets in the web UI, in one RT start-up.
# kb's scrip is not made here: the test creates it in RT's web UI as docs/plugins.md says.
PERL_SETUP = r"""
use strict; use warnings;
use RT; RT::LoadConfig(); RT::Init();
my $root = RT::User->new(RT->SystemUser);
$root->Load('root');
my ($id, $msg, $token) = RT::AuthToken->new($root)->Create(
    Owner => $root->id, Description => 'kb tests');
die "token: $msg\n" unless $id;
my $tech = RT::User->new(RT->SystemUser);
my ($uid, $why) = $tech->Create(
    Name => $ARGV[0], EmailAddress => "$ARGV[0]\@kb.test", RealName => 'Terry Tech',
    Privileged => 1, Password => $ARGV[1]);
die "technician: $why\n" unless $uid;
for my $right (qw(SeeQueue ShowTicket ShowTicketComments ReplyToTicket CommentOnTicket
                  ModifyTicket OwnTicket)) {
    my ($ok, $refused) = $tech->PrincipalObj->GrantRight(Right => $right, Object => RT->System);
    die "right $right: $refused\n" unless $ok;
}
print "$token\n";
"""


def missing() -> str | None:
    """Why RT cannot be started here, or None."""
    for path in (RT_SERVER, SETUP_DATABASE):
        if not path.exists():
            return (
                f"{path} is missing: apt-get install request-tracker5 rt5-db-sqlite rt5-standalone"
            )
    probe = subprocess.run(["perl", "-MDBD::SQLite", "-e1"], capture_output=True)
    if probe.returncode != 0:
        return "Perl's DBD::SQLite is missing: apt-get install rt5-db-sqlite"
    return None


@dataclass
class RTServer:
    folder: Path
    port: int
    kb_port: int
    scrip_secret: str
    token: str = ""
    process: subprocess.Popen | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/rt"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RT_SITE_CONFIG_DIR": str(self.folder / "config"),
            "TMPDIR": str(self.folder),  # RT's 'testfile' mailer writes its mail here
        }

    def client(self) -> RTClient:
        return RTClient(self.url, token=self.token)

    def start(self) -> None:
        """Create the database, then start the server while Perl adds a token and a
        technician."""
        config = self.folder / "config"
        for sub in ("config", "mason", "sessions"):
            (self.folder / sub).mkdir(exist_ok=True)
        (config / "50-kb-test.pm").write_text(
            SITE_CONFIG.format(
                folder=self.folder, port=self.port, kb_port=self.kb_port, secret=self.scrip_secret
            )
        )
        password = self.folder / "root-password"
        password.write_text(ROOT_PASSWORD)
        began = time.monotonic()
        setup = subprocess.run(
            [
                str(SETUP_DATABASE),
                "--action",
                "init",
                "--skip-create",
                "--root-password-file",
                str(password),
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if setup.returncode != 0:
            raise RuntimeError(f"rt-setup-database-5 failed:\n{setup.stdout}\n{setup.stderr}")
        self.timings["database"] = time.monotonic() - began
        with (self.folder / "rt-server.log").open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(RT_SERVER),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--max-workers",
                    "2",
                    "--webpath",
                    "/rt",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends every worker
            )
        perl = subprocess.run(
            ["perl", "-I", str(RT_LIB), "-e", PERL_SETUP, TECHNICIAN, TECHNICIAN_PASSWORD],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if perl.returncode != 0:
            self.stop()
            raise RuntimeError(f"RT token and technician set-up failed:\n{perl.stderr}")
        self.token = perl.stdout.strip().splitlines()[-1]
        deadline = time.monotonic() + 120
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    "rt-server did not start:\n" + (self.folder / "rt-server.log").read_text()
                )
            time.sleep(0.1)
        self.timings["total"] = time.monotonic() - began

    def answers(self) -> bool:
        request = urllib.request.Request(
            f"{self.url}/REST/2.0/rt",
            headers={
                "Authorization": "Basic "
                + base64.b64encode(f"root:{ROOT_PASSWORD}".encode()).decode()
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
