// queue_sendmail_args: see the header.
#include "queue/proto/queue_sendmail_args.hpp"

namespace estafeta::queue {

std::optional<SendmailArgs> parse_sendmail_args(const std::vector<std::string>& args,
                                                std::string& error) {
  SendmailArgs out;
  std::size_t i = 0;
  // The value of option `letter`: joined ("-fme@x") or the next argument.
  auto value = [&](const std::string& arg, std::string& v) {
    if (arg.size() > 2) {
      v = arg.substr(2);
      return true;
    }
    if (i + 1 >= args.size()) {
      error = "option " + arg + " needs a value";
      return false;
    }
    v = args[++i];
    return true;
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      out.recipients.push_back(a);
      continue;
    }
    std::string v;
    switch (a[1]) {
      case 't':
        if (a != "-t") goto unknown;
        out.extract_recipients = true;
        break;
      case 'i':
        if (a != "-i") goto unknown;
        out.dot_ends_input = false;
        break;
      case 'f':
      case 'r':
        if (!value(a, v)) return std::nullopt;
        out.from = (v == "<>") ? std::string() : v;
        if (out.from->size() > 2 && out.from->front() == '<' && out.from->back() == '>')
          out.from = out.from->substr(1, out.from->size() - 2);
        break;
      case 'F':
        if (!value(a, v)) return std::nullopt;
        out.fullname = v;
        break;
      case 'N':
        if (!value(a, out.notify)) return std::nullopt;
        break;
      case 'R':
        if (!value(a, out.ret)) return std::nullopt;
        break;
      case 'V':
        if (!value(a, out.envid)) return std::nullopt;
        break;
      case 'C':
        if (!value(a, out.config_file)) return std::nullopt;
        break;
      case 'B':
      case 'L':
      case 'X':
        if (!value(a, v)) return std::nullopt;  // body type, syslog label, log file: ignored
        break;
      case 'b':
        if (a == "-bm") break;
        if (a == "-bs") {
          out.smtp_on_stdin = true;
          break;
        }
        error = "mode " + a + " is not supported (only -bm and -bs)";
        return std::nullopt;
      case 'o':
        if (a == "-oi") out.dot_ends_input = false;
        break;  // -oem, -odi, -oXxx...: ignored, as Postfix does
      case 'v':
        break;
      default:
      unknown:
        error = "unknown option " + a;
        return std::nullopt;
    }
  }
  for (; i < args.size(); ++i) out.recipients.push_back(args[i]);
  return out;
}

}  // namespace estafeta::queue
