// config_load_test: config::load over every key, every kind of error (with its line and
// key), unknown keys, listeners (protocol, role, tls, the older kind), a registered protocol
// sections ([smtp] from smtp/smtp_config.cpp, [imap] from imap/imap_config.cpp, [pop3] from
// pop3/pop3_config.cpp, [queue] from queue/queue_config.cpp), and the example file against the
// defaults.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "config/config.hpp"
#include "config/config_keys.hpp"
#include "imap/imap_config.hpp"
#include "pop3/pop3_config.hpp"
#include "queue/queue_config.hpp"
#include "smtp/smtp_config.hpp"
#include "smtp/smtp_outbound_config.hpp"

namespace estafeta::config {
namespace {

namespace fs = std::filesystem;

class ConfigLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    smtp::register_config();  // as main() does
    imap::register_config();
    pop3::register_config();
    smtp::register_outbound_config();
    queue::register_config();
    char tmpl[] = "/tmp/estafeta-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& text) {
    fs::path p = dir_ / "estafeta.toml";
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
  Config ok(const std::string& text) {
    auto r = load(write(text));
    if (auto* e = std::get_if<ConfigError>(&r)) {
      ADD_FAILURE() << e->to_string();
      return defaults();
    }
    return std::get<Config>(r);
  }
  ConfigError bad(const std::string& text) {
    auto r = load(write(text));
    if (auto* e = std::get_if<ConfigError>(&r)) return *e;
    ADD_FAILURE() << "expected an error for:\n" << text;
    return {};
  }

  fs::path dir_;
};

TEST_F(ConfigLoad, EmptyFileIsDefaults) {
  Config c = ok("");
  EXPECT_TRUE(same_settings(c, defaults()));
  EXPECT_EQ(c.source, dir_ / "estafeta.toml");
  EXPECT_EQ(c.listeners.size(), 7u);
}

TEST_F(ConfigLoad, DefaultsAreSane) {
  Config d = defaults();
  EXPECT_FALSE(d.hostname.empty());
  EXPECT_FALSE(d.data_dir.empty());
  EXPECT_TRUE(d.data_dir.is_absolute());
  ASSERT_EQ(d.listeners.size(), 7u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(d.listeners[i].protocol, Protocol::smtp) << d.listeners[i].name;
  EXPECT_EQ(d.listeners[3].protocol, Protocol::imap);
  EXPECT_EQ(d.listeners[3].port, 143);
  EXPECT_EQ(d.listeners[3].tls_mode, TlsMode::starttls);
  EXPECT_EQ(d.listeners[4].protocol, Protocol::imap);
  EXPECT_EQ(d.listeners[4].port, 993);
  EXPECT_EQ(d.listeners[4].tls_mode, TlsMode::implicit);
  EXPECT_EQ(d.listeners[5].protocol, Protocol::pop3);
  EXPECT_EQ(d.listeners[5].port, 110);
  EXPECT_EQ(d.listeners[5].tls_mode, TlsMode::starttls);
  EXPECT_EQ(d.listeners[6].protocol, Protocol::pop3);
  EXPECT_EQ(d.listeners[6].port, 995);
  EXPECT_EQ(d.listeners[6].tls_mode, TlsMode::implicit);
  EXPECT_EQ(d.listeners[0].port, 25);
  EXPECT_EQ(d.listeners[0].role, SmtpRole::mx);
  EXPECT_EQ(d.listeners[0].tls_mode, TlsMode::starttls);
  EXPECT_EQ(d.listeners[1].role, SmtpRole::submission);
  EXPECT_EQ(d.listeners[1].tls_mode, TlsMode::starttls);
  EXPECT_EQ(d.listeners[1].port, 587);
  EXPECT_EQ(d.listeners[2].role, SmtpRole::submission);
  EXPECT_EQ(d.listeners[2].tls_mode, TlsMode::implicit);
  EXPECT_EQ(d.listeners[2].port, 465);
  EXPECT_EQ(d.listeners[0].address, "");
}

TEST_F(ConfigLoad, DefaultDataDirFollowsTheEnvironment) {
  if (::geteuid() == 0) {
    EXPECT_EQ(defaults().data_dir, "/var/lib/estafeta");
    return;
  }
  const char* old = std::getenv("XDG_DATA_HOME");
  std::string saved = old ? old : "";
  ::setenv("XDG_DATA_HOME", "/xdg/data", 1);
  EXPECT_EQ(defaults().data_dir, "/xdg/data/estafeta");
  ::setenv("XDG_DATA_HOME", "relative", 1);  // not absolute: ignored (XDG spec)
  EXPECT_EQ(defaults().data_dir.filename(), "estafeta");
  EXPECT_NE(defaults().data_dir.string().find(".local/share/estafeta"), std::string::npos);
  if (old)
    ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
  else
    ::unsetenv("XDG_DATA_HOME");
}

TEST_F(ConfigLoad, EveryKey) {
  Config c = ok(R"(
data_dir = "/srv/mail"
hostname = "mx.example.org"
run_as_user = "mail"
log_level = "debug"
trace = true
io_threads = 3
worker_threads = 5

[smtp]
allow_plain_auth_on_loopback = true
max_command_line = 4096
max_line_length = 2000
max_message_size = 1048576
max_recipients = 7
max_errors = 4
max_received_headers = 30
max_connections = 20
max_connections_per_ip = 2
max_auth_failures = 1
command_timeout = 60
data_timeout = 61
min_data_rate = 0
data_rate_grace = 5

[tls]
certificate = "certs/server.pem"
private_key = "/etc/ssl/server.key"
min_version = "TLSv1.3"

[delivery]
detail_separator = "-"
detail_to_folder = true
fsync = false
)");
  EXPECT_EQ(c.data_dir, "/srv/mail");
  EXPECT_EQ(c.hostname, "mx.example.org");
  EXPECT_EQ(c.run_as_user, "mail");
  EXPECT_EQ(c.log_level, log::Level::debug);
  EXPECT_TRUE(c.trace);
  EXPECT_EQ(c.io_threads, 3u);
  EXPECT_EQ(c.worker_threads, 5u);
  const smtp::Settings smtp = smtp::settings_from(c);
  EXPECT_TRUE(smtp.allow_plain_auth_on_loopback);
  EXPECT_EQ(smtp.limits.max_command_line, 4096u);
  EXPECT_EQ(smtp.limits.max_line_length, 2000u);
  EXPECT_EQ(smtp.limits.max_message_size, 1048576u);
  EXPECT_EQ(smtp.limits.max_recipients, 7u);
  EXPECT_EQ(smtp.limits.max_errors, 4u);
  EXPECT_EQ(smtp.limits.max_received_headers, 30u);
  EXPECT_EQ(smtp.limits.max_connections, 20u);
  EXPECT_EQ(smtp.limits.max_connections_per_ip, 2u);
  EXPECT_EQ(smtp.limits.max_auth_failures, 1u);
  EXPECT_EQ(smtp.limits.command_timeout, std::chrono::seconds(60));
  EXPECT_EQ(smtp.limits.data_timeout, std::chrono::seconds(61));
  EXPECT_EQ(smtp.limits.min_data_rate, 0u);
  EXPECT_EQ(smtp.limits.data_rate_grace, std::chrono::seconds(5));
  EXPECT_EQ(c.tls.certificate, dir_ / "certs/server.pem");  // relative to the file
  EXPECT_EQ(c.tls.private_key, "/etc/ssl/server.key");
  EXPECT_EQ(c.tls.min_version, "TLSv1.3");
  EXPECT_EQ(c.delivery.detail_separator, '-');
  EXPECT_TRUE(c.delivery.detail_to_folder);
  EXPECT_FALSE(c.delivery.fsync);
  EXPECT_EQ(c.listeners.size(), 7u);  // untouched without [listener.*]
}

TEST_F(ConfigLoad, EveryKeyOfTheTableIsSettable) {
  // Each key in the table must be accepted by load() with its own default value.
  Config d = defaults();
  for (const auto& k : keys()) {
    std::string name(k.name);
    auto dot = name.find('.');
    std::string text =
        dot == std::string::npos
            ? name + " = " + k.get(d) + "\n"
            : "[" + name.substr(0, dot) + "]\n" + name.substr(dot + 1) + " = " + k.get(d) + "\n";
    if (k.name == "tls.certificate" || k.name == "tls.private_key") continue;  // paired
    Config c = ok(text);
    EXPECT_EQ(k.get(c), k.get(d)) << name;
  }
  for (const Section* sec : sections()) {
    for (const auto& k : sec->keys()) {
      Config c = ok("[" + std::string(sec->name()) + "]\n" + std::string(k.name) + " = " +
                    toml_text(sec->default_value(k.name)) + "\n");
      EXPECT_TRUE(same_settings(c, d)) << k.name;
    }
  }
}

TEST_F(ConfigLoad, SmtpSectionIsRegisteredAndChecked) {
  ASSERT_NE(find_section("smtp"), nullptr);
  Config c = ok("[smtp]\nmax_recipients = 7\nbare_lf = \"normalize\"\n");
  EXPECT_EQ(smtp::settings_from(c).limits.max_recipients, 7u);
  EXPECT_EQ(smtp::settings_from(c).limits.bare_lf, smtp::Limits::BareLf::normalize);
  EXPECT_EQ(smtp::settings_from(defaults()).limits.max_recipients, smtp::Limits{}.max_recipients);
  EXPECT_FALSE(same_settings(c, defaults()));
  ConfigError e = bad("[smtp]\nbare_lf = \"keep\"\n");
  EXPECT_EQ(e.key, "smtp.bare_lf");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.message, "expected \"reject\" or \"normalize\"");
}

TEST_F(ConfigLoad, DetailSeparatorCanBeOff) {
  Config c = ok("[delivery]\ndetail_separator = \"\"\n");
  EXPECT_EQ(c.delivery.detail_separator, '\0');
}

TEST_F(ConfigLoad, RelativeDataDirIsTakenFromTheFileDirectory) {
  Config c = ok("data_dir = \"var/data\"\n");
  EXPECT_EQ(c.data_dir, dir_ / "var/data");
}

TEST_F(ConfigLoad, TypeErrorsNameLineAndKey) {
  ConfigError e = bad("# comment\n\n[smtp]\nmax_recipients = \"many\"\n");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.key, "smtp.max_recipients");
  EXPECT_EQ(e.message, "expected an integer");
  EXPECT_EQ(e.file, dir_ / "estafeta.toml");
  EXPECT_EQ(e.to_string(),
            (dir_ / "estafeta.toml").string() + ":4: smtp.max_recipients: expected an integer");

  e = bad("trace = 1\n");
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.key, "trace");
  EXPECT_EQ(e.message, "expected a boolean (true or false)");

  e = bad("\nhostname = 12\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.message, "expected a string");

  e = bad("smtp = 3\n");
  EXPECT_EQ(e.key, "smtp");
  EXPECT_EQ(e.message, "expected a table");
}

TEST_F(ConfigLoad, RangeErrors) {
  ConfigError e = bad("[smtp]\nmax_command_line = 100\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.key, "smtp.max_command_line");
  EXPECT_EQ(e.message, "expected an integer 512-65536");
  e = bad("[smtp]\nmax_recipients = 0\n");
  EXPECT_EQ(e.key, "smtp.max_recipients");
  e = bad("[smtp]\ncommand_timeout = -1\n");
  EXPECT_EQ(e.message, "expected a number of seconds 1-86400");
  e = bad("io_threads = 100000\n");
  EXPECT_EQ(e.key, "io_threads");
  e = bad("log_level = \"loud\"\n");
  EXPECT_EQ(e.key, "log_level");
  EXPECT_EQ(e.message, "expected one of trace, debug, info, warn, error");
  e = bad("[tls]\nmin_version = \"TLSv1.0\"\n");
  EXPECT_EQ(e.key, "tls.min_version");
  e = bad("[delivery]\ndetail_separator = \"ab\"\n");
  EXPECT_EQ(e.key, "delivery.detail_separator");
  e = bad("[delivery]\ndetail_separator = \"@\"\n");
  EXPECT_EQ(e.key, "delivery.detail_separator");
  e = bad("hostname = \"bad host\"\n");
  EXPECT_EQ(e.key, "hostname");
  e = bad("data_dir = \"\"\n");
  EXPECT_EQ(e.key, "data_dir");
  e = bad("run_as_user = \"\"\n");
  EXPECT_EQ(e.key, "run_as_user");
}

TEST_F(ConfigLoad, UnknownKeys) {
  ConfigError e = bad("hostname = \"a.example\"\n[smtp]\nmax_recipent = 5\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.key, "smtp.max_recipent");
  EXPECT_EQ(e.message, "unknown key");
  e = bad("colour = \"blue\"\n");
  EXPECT_EQ(e.key, "colour");
  e = bad("[pop3]\nport = 110\n");
  EXPECT_EQ(e.key, "pop3.port");
  e = bad("[pop2]\nport = 109\n");
  EXPECT_EQ(e.key, "pop2");
  e = bad("[listener.smtp]\nport = 25\nbacklog = 5\n");
  EXPECT_EQ(e.key, "listener.smtp.backlog");
  EXPECT_EQ(e.line, 3u);
}

TEST_F(ConfigLoad, EarliestErrorWins) {
  ConfigError e = bad("[smtp]\nmax_errors = 0\n[delivery]\nfsync = \"yes\"\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.key, "smtp.max_errors");
  // toml++ iterates tables by key order; the loader must still report by line.
  e = bad("zzz = 1\naaa = 2\n");
  EXPECT_EQ(e.key, "zzz");
}

TEST_F(ConfigLoad, SyntaxErrorHasLine) {
  ConfigError e = bad("hostname = \"a.example\"\n\n[smtp\nmax_errors = 3\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_TRUE(e.key.empty());
  EXPECT_FALSE(e.message.empty());
  e = bad("trace = true\ntrace = false\n");  // duplicate key
  EXPECT_EQ(e.line, 2u);
}

TEST_F(ConfigLoad, MissingFile) {
  auto r = load(dir_ / "nope.toml");
  auto* e = std::get_if<ConfigError>(&r);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->line, 0u);
  EXPECT_NE(e->message.find("cannot open"), std::string::npos);
  EXPECT_EQ(e->to_string().find((dir_ / "nope.toml").string() + ": cannot open"), 0u);
}

TEST_F(ConfigLoad, ListenersReplaceTheDefaults) {
  Config c = ok(R"(
[listener.submission]
address = "127.0.0.1"
port = 2587

[listener.inbound]
kind = "mx"
address = "::1"
port = 2525
)");
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[0].name, "submission");          // file order
  EXPECT_EQ(c.listeners[0].role, SmtpRole::submission);  // from the name
  EXPECT_EQ(c.listeners[0].address, "127.0.0.1");
  EXPECT_EQ(c.listeners[0].port, 2587);
  EXPECT_EQ(c.listeners[1].name, "inbound");
  EXPECT_EQ(c.listeners[1].role, SmtpRole::mx);  // the older `kind` still works
  EXPECT_EQ(c.listeners[1].address, "::1");
}

TEST_F(ConfigLoad, ListenerDefaultsByKind) {
  Config c = ok("[listener.smtps]\nkind = \"submissions\"\n");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].port, 465);
  EXPECT_EQ(c.listeners[0].address, "");
  EXPECT_EQ(c.listeners[0].tls_mode, TlsMode::implicit);
  c = ok("[listener.smtp]\n");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].role, SmtpRole::mx);
  EXPECT_EQ(c.listeners[0].port, 25);
}

TEST_F(ConfigLoad, ListenerProtocolRoleAndTls) {
  Config c = ok(R"(
[listener.inbound]
protocol = "smtp"
role = "mx"
port = 2525

[listener.users]
protocol = "smtp"
role = "submission"
tls = "implicit"

[listener.mail]
protocol = "imap"
tls = "implicit"

[listener.imap]

[listener.pop3s]
)");
  ASSERT_EQ(c.listeners.size(), 5u);
  EXPECT_EQ(describe(c.listeners[0]), "smtp mx starttls");
  EXPECT_EQ(c.listeners[0].port, 2525);
  EXPECT_EQ(describe(c.listeners[1]), "smtp submission implicit");
  EXPECT_EQ(c.listeners[1].port, 465);
  EXPECT_EQ(describe(c.listeners[2]), "imap implicit");
  EXPECT_EQ(c.listeners[2].port, 993);
  EXPECT_EQ(describe(c.listeners[3]), "imap starttls");
  EXPECT_EQ(c.listeners[3].port, 143);
  EXPECT_EQ(describe(c.listeners[4]), "pop3 implicit");
  EXPECT_EQ(c.listeners[4].port, 995);
  EXPECT_EQ(ok("[listener.p]\nprotocol = \"pop3\"\n").listeners[0].port, 110);
  // The older kind and the new keys describe the same listeners.
  Config old = ok("[listener.a]\nkind = \"submissions\"\nport = 2465\n");
  Config now =
      ok("[listener.a]\nprotocol = \"smtp\"\nrole = \"submission\"\ntls = \"implicit\"\nport = "
         "2465\n");
  EXPECT_TRUE(same_settings(old, now));
}

TEST_F(ConfigLoad, ListenerProtocolErrors) {
  ConfigError e = bad("[listener.x]\nprotocol = \"smtp\"\nport = 2525\n");
  EXPECT_EQ(e.key, "listener.x.role");
  EXPECT_EQ(e.message, "required for protocol \"smtp\" (\"mx\" or \"submission\")");
  e = bad("[listener.x]\nprotocol = \"nntp\"\n");
  EXPECT_EQ(e.key, "listener.x.protocol");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.message, "expected \"smtp\", \"imap\" or \"pop3\"");
  e = bad("[listener.x]\nprotocol = \"imap\"\nrole = \"mx\"\n");
  EXPECT_EQ(e.key, "listener.x.role");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.message, "applies to protocol \"smtp\" only");
  e = bad("[listener.smtp]\ntls = \"implicit\"\n");
  EXPECT_EQ(e.key, "listener.smtp.tls");
  EXPECT_EQ(e.line, 2u);
  e = bad("[listener.x]\nprotocol = \"imap\"\ntls = \"none\"\n");
  EXPECT_EQ(e.key, "listener.x.tls");
  EXPECT_EQ(e.message, "expected \"starttls\" or \"implicit\"");
  e = bad("[listener.x]\nkind = \"mx\"\nrole = \"mx\"\n");
  EXPECT_EQ(e.key, "listener.x.kind");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.message,
            "kind is the older spelling of protocol + role + tls; give one or the other");
}

TEST_F(ConfigLoad, ListenerErrors) {
  ConfigError e = bad("[listener.x]\nport = 70000\nkind = \"mx\"\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.key, "listener.x.port");
  EXPECT_EQ(e.message, "expected a port number 1-65535");
  e = bad("[listener.x]\nport = 2525\n");
  EXPECT_EQ(e.key, "listener.x.protocol");
  e = bad("[listener.x]\nkind = \"imap\"\n");
  EXPECT_EQ(e.key, "listener.x.kind");
  EXPECT_EQ(e.line, 2u);  // the bad value, not the table header
  EXPECT_EQ(e.message, "expected \"mx\", \"submission\" or \"submissions\"");
  e = bad("[listener.x]\nkind = 5\n");
  EXPECT_EQ(e.line, 2u);
  e = bad("[listener.x]\nkind = \"mx\"\naddress = \"localhost\"\n");
  EXPECT_EQ(e.key, "listener.x.address");
  EXPECT_EQ(e.line, 3u);
  e = bad("[listener.a]\nkind = \"mx\"\nport = 2525\n[listener.b]\nkind = \"mx\"\nport = 2525\n");
  EXPECT_EQ(e.key, "listener.b.port");
  EXPECT_EQ(e.line, 6u);
  e = bad("listener = 5\n");
  EXPECT_EQ(e.key, "listener");
}

TEST_F(ConfigLoad, TlsFilesComeInPairs) {
  ConfigError e = bad("[tls]\ncertificate = \"/etc/c.pem\"\n");
  EXPECT_EQ(e.key, "tls.private_key");
  EXPECT_EQ(e.line, 2u);
}

TEST_F(ConfigLoad, ExampleFileIsTheDefaults) {
  fs::path example = fs::path(ESTAFETA_SOURCE_DIR) / "examples/estafeta.toml";
  std::string rendered = render_example();
  if (const char* regen = std::getenv("ESTAFETA_REGENERATE_EXAMPLE"); regen && *regen == '1')
    std::ofstream(example, std::ios::binary | std::ios::trunc) << rendered;
  std::ifstream in(example, std::ios::binary);
  ASSERT_TRUE(in) << example;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, rendered) << "examples/estafeta.toml is out of date: rerun this test with "
                               "ESTAFETA_REGENERATE_EXAMPLE=1";
  auto r = load(example);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).to_string();
  EXPECT_TRUE(same_settings(std::get<Config>(r), defaults()));
}

TEST_F(ConfigLoad, ExampleDocumentsEveryKey) {
  std::string rendered = render_example();
  for (const auto& k : keys()) {
    std::string leaf(
        k.name.substr(k.name.find('.') == std::string_view::npos ? 0 : k.name.find('.') + 1));
    std::string line = (k.machine_default.empty() ? "\n" : "\n#") + leaf + " = ";
    EXPECT_NE(rendered.find(line), std::string::npos) << k.name;
  }
  for (const Section* sec : sections())
    for (const auto& k : sec->keys())
      EXPECT_NE(rendered.find("\n" + std::string(k.name) + " = "), std::string::npos) << k.name;
}

TEST_F(ConfigLoad, ReferenceDocumentsEveryKey) {
  std::ifstream in(fs::path(ESTAFETA_SOURCE_DIR) / "docs/CONFIG.md", std::ios::binary);
  ASSERT_TRUE(in);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& k : keys()) {
    auto dot = k.name.find('.');
    std::string leaf(dot == std::string_view::npos ? k.name : k.name.substr(dot + 1));
    EXPECT_NE(text.find("| `" + leaf + "` |"), std::string::npos) << k.name;
  }
  for (const Section* sec : sections())
    for (const auto& k : sec->keys())
      EXPECT_NE(text.find("| `" + std::string(k.name) + "` |"), std::string::npos) << k.name;
  for (const auto& k : listener_keys())
    EXPECT_NE(text.find("| `" + std::string(k.name) + "` |"), std::string::npos) << k.name;
}

}  // namespace
}  // namespace estafeta::config
