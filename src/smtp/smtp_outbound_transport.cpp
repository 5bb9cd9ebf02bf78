// smtp_outbound_transport: routing, limits and attempts of the sending MTA (see the header).
#include "smtp/smtp_outbound_transport.hpp"

#include <sys/stat.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <utility>

#include "base/log.hpp"
#include "dns/proto/dns_answer.hpp"
#include "net/blocking.hpp"
#include "net/tls_context.hpp"
#include "smtp/smtp_mta_sts_client.hpp"
#include "smtp/smtp_outbound_dane.hpp"
#include "smtp/smtp_outbound_reply.hpp"

namespace estafeta::smtp {

struct OutboundTransport::Job {
  std::uint64_t id = 0;
  std::string domain;
  MessageList messages;
  Done done;
  std::vector<std::vector<queue::RemoteReply>> replies;
  bool finished = false;

  void fill(const std::vector<std::size_t>& which, const queue::RemoteReply& reply) {
    for (std::size_t i : which)
      for (auto& r : replies[i]) r = reply;
  }
};

namespace {

std::string_view kind_name(queue::RemoteReply::Kind k) {
  switch (k) {
    case queue::RemoteReply::Kind::delivered:
      return "sent";
    case queue::RemoteReply::Kind::bounced:
      return "bounced";
    case queue::RemoteReply::Kind::deferred:
      break;
  }
  return "deferred";
}

// What makes a connection fit for another delivery: the server (address, port, the name we
// log and verify against), our source address and everything that decided how the session was set
// up (TLS policy, verification, DANE records, implicit TLS, credentials). Deliveries for different
// domains share a connection when these agree, as Postfix's connection cache does by address.
std::string cache_key(const ConnectionSetup& s) {
  const auto& at = s.attempt;
  std::string k =
      fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}", at.address.to_string(), at.port, at.host,
                  s.bind_address, s.tls_name, static_cast<int>(s.client.starttls),
                  s.verify_required ? 1 : 0, s.client.tls_active ? 1 : 0,
                  s.client.credentials ? s.client.credentials->user : std::string());
  for (const auto& r : s.dane) {
    fmt::format_to(std::back_inserter(k), "|{}.{}.{}.", r.usage, r.selector, r.matching_type);
    for (unsigned char c : r.data) fmt::format_to(std::back_inserter(k), "{:02x}", c);
  }
  return k;
}

}  // namespace

std::shared_ptr<OutboundTransport> OutboundTransport::create(asio::any_io_executor executor,
                                                             asio::thread_pool& workers,
                                                             OutboundOptions options,
                                                             std::string& error) {
  auto tls = net::make_client_tls_context(options.smarthost_ca_file, error);
  if (!tls) return nullptr;
  std::shared_ptr<OutboundTransport> t(
      new OutboundTransport(executor, workers, std::move(options), std::move(tls)));
  if (t->options_.mta_sts) {
    t->sts_tls_ = net::make_client_tls_context(t->options_.mta_sts_ca_file, error);
    if (!t->sts_tls_) return nullptr;
  }
  t->resolver_ = dns::AsyncResolver::create(executor, t->options_.resolver, error);
  if (!t->resolver_) {
    error = "dns: " + error;
    return nullptr;
  }
  return t;
}

OutboundTransport::OutboundTransport(asio::any_io_executor executor, asio::thread_pool& workers,
                                     OutboundOptions options,
                                     std::shared_ptr<asio::ssl::context> tls)
    : strand_(asio::make_strand(executor)),
      workers_(workers),
      options_(std::move(options)),
      tls_(std::move(tls)),
      random_(std::random_device{}()) {
  if (!options_.tls_report_dir.empty())
    tls_report_ = std::make_shared<TlsReportWriter>(options_.tls_report_dir);
}

void OutboundTransport::report_tls(TlsReportEvent event) {
  if (!tls_report_) return;
  event.time = static_cast<std::int64_t>(std::time(nullptr));
  asio::post(workers_, [w = tls_report_, e = std::move(event)] { w->append(e); });
}

OutboundTransport::~OutboundTransport() {
  if (resolver_) resolver_->shutdown();
}

void OutboundTransport::deliver(std::string domain, MessageList messages, Done done) {
  auto job = std::make_shared<Job>();
  job->domain = std::move(domain);
  job->messages = std::move(messages);
  job->done = std::move(done);
  for (const auto& m : job->messages) job->replies.emplace_back(m->recipients.size());
  auto self = shared_from_this();
  asio::co_spawn(strand_, run(self, job), [job](std::exception_ptr e) {
    if (!e || job->finished) return;
    std::vector<std::size_t> all(job->messages.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    job->fill(all, local_reply(false, 451, "4.3.0", "internal error in the SMTP client"));
    finish(*job);
  });
}

void OutboundTransport::shutdown() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    for (auto& w : self->waiting_) w->timer->cancel();  // granted stays false
    self->waiting_.clear();
    if (self->resolver_) self->resolver_->shutdown();
    while (!self->idle_.empty()) {
      self->idle_.front().timer->cancel();
      auto conn = std::move(self->idle_.front().conn);
      self->idle_.pop_front();
      self->end_idle(std::move(conn));
    }
  });
}

std::unique_ptr<IdleConnection> OutboundTransport::take_idle(const std::string& key) {
  for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
    if (it->key != key) continue;
    it->timer->cancel();
    std::unique_ptr<IdleConnection> conn = std::move(it->conn);
    idle_.erase(std::next(it).base());
    return conn;
  }
  return nullptr;
}

void OutboundTransport::keep_idle(std::string key, std::unique_ptr<IdleConnection> conn) {
  if (!conn) return;
  if (stopping_ || options_.connection_cache_time.count() <= 0 || options_.max_connections == 0) {
    end_idle(std::move(conn));
    return;
  }
  while (idle_.size() >= options_.max_connections) {  // full: the oldest goes
    idle_.front().timer->cancel();
    auto old = std::move(idle_.front().conn);
    idle_.pop_front();
    end_idle(std::move(old));
  }
  Idle entry;
  entry.id = next_idle_++;
  entry.key = std::move(key);
  entry.conn = std::move(conn);
  entry.timer = std::make_unique<asio::steady_timer>(strand_, options_.connection_cache_time);
  entry.timer->async_wait([weak = weak_from_this(), id = entry.id](const std::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    for (auto it = self->idle_.begin(); it != self->idle_.end(); ++it) {
      if (it->id != id) continue;
      auto c = std::move(it->conn);
      self->idle_.erase(it);
      log::debug("relay", "{}: idle connection expired", c->where);
      self->end_idle(std::move(c));
      return;
    }
  });
  idle_.push_back(std::move(entry));
}

void OutboundTransport::end_idle(std::unique_ptr<IdleConnection> conn) {
  if (!conn) return;
  const auto limit =
      std::min<std::chrono::milliseconds>(options_.timeouts.command, std::chrono::seconds(10));
  asio::co_spawn(strand_, close_idle(std::move(conn), limit), asio::detached);
}

void OutboundTransport::finish(Job& job) {
  if (job.finished) return;
  job.finished = true;
  Done done = std::move(job.done);
  if (done) done(std::move(job.replies));
}

bool OutboundTransport::can_take(const std::string& key) const {
  if (active_total_ >= options_.max_connections) return false;
  auto it = active_per_key_.find(key);
  return it == active_per_key_.end() || it->second < options_.max_connections_per_destination;
}

void OutboundTransport::take(const std::string& key) {
  ++active_total_;
  ++active_per_key_[key];
}

void OutboundTransport::release(const std::string& key) {
  --active_total_;
  if (auto it = active_per_key_.find(key); it != active_per_key_.end() && --it->second == 0)
    active_per_key_.erase(it);
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (can_take((*it)->key)) {
      take((*it)->key);
      (*it)->granted = true;
      (*it)->timer->cancel();
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

asio::awaitable<bool> OutboundTransport::acquire(const std::string& key) {
  if (stopping_) co_return false;
  if (can_take(key)) {
    take(key);
    co_return true;
  }
  auto w = std::make_shared<Waiter>();
  w->key = key;
  w->timer = std::make_shared<asio::steady_timer>(strand_, asio::steady_timer::time_point::max());
  waiting_.push_back(w);
  std::error_code ec;
  co_await w->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return w->granted;
}

asio::awaitable<std::optional<StsPolicy>> OutboundTransport::sts_policy(std::string domain) {
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  // Named operands and pointer captures only in co_await expressions: GCC 12 destroys a
  // co_await operand's owning temporaries twice (PR 99576; see smtp_outbound_connection).
  const std::string txt_name = "_mta-sts." + domain;
  dns::Answer txt_answer =
      co_await resolver_->async_lookup(txt_name, dns::RecordType::txt, asio::use_awaitable);
  dns::TxtAnswer txt = dns::to_txt(txt_answer);
  std::optional<StsRecord> record;
  if (txt.status == dns::AnswerStatus::data) record = select_sts_record(txt.records);
  std::optional<StsCacheEntry> cached;
  if (auto it = sts_cache_.find(domain); it != sts_cache_.end()) cached = it->second;
  const std::string file =
      options_.mta_sts_cache_dir.empty() ? "" : options_.mta_sts_cache_dir + "/" + domain;
  if (!cached && !file.empty() && (record || txt.status != dns::AnswerStatus::nxdomain)) {
    const std::string* path = &file;
    cached = co_await net::run_blocking(workers_, [path] {
      std::ifstream in(*path, std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      return parse_sts_cache(text);
    });
    if (cached && cached->domain != domain) cached.reset();
  }
  if (sts_needs_fetch(cached, record, now) && record) {
    // §3.3: https://mta-sts.<domain>/.well-known/mta-sts.txt, over IPv6 and IPv4 as SMTP
    // connections go (the route planner's order for "[mta-sts.<domain>]:port": AAAA and A
    // alternating, [routing] address_families); the next address only when one could not
    // be reached.
    std::string route_error;
    const std::optional<dns::RouteTarget> sts_target = dns::parse_route_target(
        "[mta-sts." + domain + "]:" + std::to_string(options_.mta_sts_port), route_error);
    dns::RouteOptions sts_route = options_.route;
    sts_route.seed = random_();
    sts_route.local_names.clear();  // a policy host of ours is no mail loop
    const std::string sts_host = "mta-sts." + domain;
    dns::RoutePlan sts_plan;
    if (sts_target)
      sts_plan = co_await resolver_->async_plan_route(sts_host, sts_route, sts_target,
                                                      asio::use_awaitable);
    StsFetchResult r;
    r.error = sts_plan.outcome == dns::RouteOutcome::deliver || sts_plan.error.text.empty()
                  ? "no address for " + sts_host
                  : sts_plan.error.text;
    for (const auto& at : sts_plan.attempts) {
      std::error_code ec;
      const auto addr = asio::ip::make_address(at.address.to_string(), ec);
      if (ec) continue;
      r = co_await fetch_sts_policy(domain, addr, at.port, *sts_tls_, options_.mta_sts_timeout);
      if (r.policy || r.reached) break;
      log::info("relay", "{}: MTA-STS policy fetch: {}", domain, r.error);
    }
    if (r.policy) {
      StsCacheEntry e{domain, record->id, now, r.text, *r.policy};
      log::info("relay", "{}: MTA-STS policy {} (mode {}, max_age {})", domain, e.id,
                sts_mode_name(e.policy.mode), e.policy.max_age);
      if (!file.empty()) {
        const std::string dir = options_.mta_sts_cache_dir, text = encode_sts_cache(e);
        const std::string *dp = &dir, *fp = &file, *tp = &text;
        co_await net::run_blocking(workers_, [dp, fp, tp] {
          ::mkdir(dp->c_str(), 0700);
          const std::string tmp = *fp + ".tmp";
          {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out << *tp;
          }
          return std::rename(tmp.c_str(), fp->c_str()) == 0;
        });
      }
      cached = std::move(e);
    } else {
      log::info("relay", "{}: MTA-STS policy fetch failed: {}", domain, r.error);
      report_tls({0, domain, "sts", false, "sts-policy-fetch-error", "", "", r.error});
    }
  }
  if (!cached || !sts_cache_valid(*cached, now)) {
    sts_cache_.erase(domain);
    co_return std::nullopt;
  }
  sts_cache_[domain] = *cached;
  co_return cached->policy;
}

asio::awaitable<void> OutboundTransport::run(std::shared_ptr<OutboundTransport> self,
                                             std::shared_ptr<Job> job) {
  Job& j = *job;
  j.id = next_job_++;
  std::vector<std::size_t> all(j.messages.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (j.messages.empty()) {
    finish(j);
    co_return;
  }
  if (stopping_) {
    j.fill(all, local_reply(false, 451, "4.3.2", "the mail system is shutting down"));
    finish(j);
    co_return;
  }

  // The next hop: a static route, else the smarthost, else MX.
  std::optional<dns::RouteTarget> target;
  bool via_smarthost = false;
  if (const dns::RouteTarget* route = options_.routes.find(j.domain)) {
    target = *route;
  } else if (options_.smarthost) {
    target = *options_.smarthost;
    via_smarthost = true;
  }
  dns::RouteOptions route_options = options_.route;
  route_options.seed = random_();
  dns::RoutePlan plan =
      co_await resolver_->async_plan_route(j.domain, route_options, target, asio::use_awaitable);
  for (const auto& note : plan.notes) log::info("relay", "{}: {}", j.domain, note);
  if (plan.outcome != dns::RouteOutcome::deliver) {
    const queue::RemoteReply reply = plan_failure_reply(plan);
    log::info("relay", "{}: {} ({} {} {})", j.domain, kind_name(reply.kind), reply.code,
              reply.enhanced, reply.text);
    j.fill(all, reply);
    finish(j);
    co_return;
  }

  std::optional<StsPolicy> sts;
  // MX delivery to a domain name (not an address literal): its MTA-STS policy, if any.
  if (!target && options_.mta_sts && !j.domain.empty() && j.domain.front() != '[' &&
      j.domain.find('/') == std::string::npos)
    sts = co_await sts_policy(j.domain);
  const std::string key = target ? target->to_string() : j.domain;
  if (!co_await acquire(key)) {
    j.fill(all, local_reply(false, 451, "4.3.2", "the mail system is shutting down"));
    finish(j);
    co_return;
  }

  const bool tls_required = via_smarthost || options_.tls_required(j.domain);
  std::deque<std::size_t> todo(all.begin(), all.end());
  std::map<std::size_t, std::pair<TransactionResult, std::string>> held;  // PTR refusals
  std::optional<queue::RemoteReply> last_failure;
  bool skip_v6 = false;
  std::map<std::string, DanePolicy> dane;  // per MX host, for this delivery

  auto record = [&](std::size_t i, const TransactionResult& tr, const std::string& host) {
    const auto& m = *j.messages[i];
    for (std::size_t k = 0; k < j.replies[i].size(); ++k) {
      RecipientResult rr;
      if (k < tr.recipients.size()) rr = tr.recipients[k];
      j.replies[i][k] = to_remote_reply(rr, tr.final_reply_lost, host);
      const auto& r = j.replies[i][k];
      log::info("relay", "{}: to=<{}> relay={} status={} ({} {} {}){}", m.id,
                m.recipients[k].address, host, kind_name(r.kind), r.code, r.enhanced, r.text,
                r.final_reply_lost ? " final reply lost" : "");
    }
  };

  for (const auto& at : plan.attempts) {
    if (todo.empty()) break;
    if (skip_v6 && at.address.is_v6()) continue;
    ConnectionSetup setup;
    setup.attempt = at;
    setup.client.ehlo_name = options_.ehlo_name;
    setup.client.timeouts = options_.timeouts;
    setup.client.reply_limits = options_.reply_limits;
    setup.client.starttls = tls_required ? StartTlsPolicy::required : StartTlsPolicy::opportunistic;
    setup.verify_required = tls_required;
    // RFC 7672: DANE for MX delivery only (not static routes or the smarthost), and only when
    // the MX and address answers were DNSSEC-secure (§2.2.1-2.2.2).
    bool tlsa_policy = false;  // DANE applies to this attempt (TLS-RPT policy type "tlsa")
    bool sts_applied = false;  // an MTA-STS policy applies (TLS-RPT policy type "sts")
    if (!target && options_.dane && dane_applies(at.mx_secure, at.address_secure)) {
      auto it = dane.find(at.host);
      if (it == dane.end()) {
        dns::Answer answer = co_await resolver_->async_lookup(
            dns::tlsa_name(at.host, at.port), dns::RecordType::tlsa, asio::use_awaitable);
        it = dane.emplace(at.host, dane_policy(at.host, dns::to_tlsa(answer), at.port)).first;
        if (it->second.mode != DanePolicy::Mode::none)
          log::info("relay", "{}: DANE {}: {}", j.domain, at.host, it->second.reason);
      }
      const DanePolicy& policy = it->second;
      if (policy.mode == DanePolicy::Mode::defer) {  // §2.1: this host is not used now
        report_tls({0, j.domain, "tlsa", false, "dnssec-invalid", at.host, at.address.to_string(),
                    policy.reason});
        last_failure = local_reply(false, 451, "4.7.5", at.host + ": " + policy.reason, at.host);
        continue;
      }
      if (policy.mode != DanePolicy::Mode::none) {
        setup.client.starttls = StartTlsPolicy::required;
        tlsa_policy = true;
      }
      if (policy.mode == DanePolicy::Mode::authenticate) {
        setup.dane = policy.records;
        setup.verify_required = true;
        setup.tls_name = at.host;  // SNI and DANE-TA reference name: the MX host (§3.2.2)
      }
    }
    // RFC 8461 §4.2 (DANE takes precedence, §2): enforce allows only listed MX hosts, over
    // TLS with a PKIX-verified certificate for the MX name; testing only reports.
    if (!tlsa_policy && sts && sts->mode != StsPolicy::Mode::none) {
      sts_applied = true;
      if (sts_check_host(*sts, at.host) == StsVerdict::refuse) {
        const std::string why = "MTA-STS: " + at.host + " is not an MX host of the policy of " +
                                j.domain + " (enforce)";
        report_tls({0, j.domain, "sts", false, "validation-failure", at.host,
                    at.address.to_string(), why});
        last_failure = local_reply(false, 451, "4.7.5", why, at.host);
        continue;
      }
      if (sts->mode == StsPolicy::Mode::enforce) {
        setup.client.starttls = StartTlsPolicy::required;
        setup.verify_required = true;
        setup.tls_name = at.host;
      }
    }
    // RFC 8314 §3.3: port 465 (submissions) is TLS from the first byte.
    if (target && at.port == 465) setup.client.tls_active = true;
    if (via_smarthost) setup.client.credentials = options_.smarthost_credentials;
    setup.connect_timeout = options_.connect_timeout;
    setup.bind_address = at.address.is_v6() ? options_.bind_address6 : options_.bind_address;
    setup.max_downgrade_size = options_.max_downgrade_size;
    setup.log_tag = j.domain;
    // An idle connection with the same setup first (each one that turns out stale is
    // dropped and the next tried; the cache is finite), then a fresh one.
    const std::string ckey = cache_key(setup);
    const bool caching = options_.connection_cache_time.count() > 0;
    std::unique_ptr<IdleConnection> idle, kept;
    ConnectionResult r;
    for (;;) {
      idle = caching ? take_idle(ckey) : nullptr;
      const bool reusing = idle != nullptr;
      std::unique_ptr<IdleConnection>* reuse_ptr = &idle;
      std::unique_ptr<IdleConnection>* keep_ptr = caching ? &kept : nullptr;
      r = co_await run_connection(setup, *tls_, workers_, j.messages, todo, reuse_ptr, keep_ptr);
      if (reusing && r.stale) {
        log::debug("relay", "{}: cached connection to {} no longer usable ({}); reconnecting",
                   j.domain, describe_attempt(at), r.close ? r.close->text : "");
        continue;
      }
      break;
    }
    if (kept) keep_idle(ckey, std::move(kept));
    if (r.tls && r.tls_verified && !setup.dane.empty())
      log::info("relay", "{}: dane: verified {}", j.domain, describe_attempt(at));
    // TLS-RPT (RFC 8460 §4.3): MX delivery sessions only, once per session (a reused one
    // was counted when it began).
    if (!target && r.connected && !r.reused) {
      TlsReportEvent ev;
      ev.policy_domain = j.domain;
      ev.policy_type = tlsa_policy ? "tlsa" : sts_applied ? "sts" : "no-policy-found";
      ev.mx_host = at.host;
      ev.ip = at.address.to_string();
      ev.sending_ip = r.local_ip;
      const CloseReason why = r.close ? r.close->reason : CloseReason::connection_lost;
      const bool must_verify = !setup.dane.empty() || sts_applied;
      if (r.tls && (!must_verify || r.tls_verified)) {
        ev.success = true;
      } else if (r.tls && sts_applied) {  // testing mode went on without a verified peer
        ev.result_type = "certificate-not-trusted";
      } else if (why == CloseReason::tls_failed) {
        ev.result_type = setup.dane.empty() ? "validation-failure" : "tlsa-invalid";
        ev.detail = r.close->text;
      } else if (why == CloseReason::tls_unavailable || (!r.tls && why == CloseReason::quit)) {
        ev.result_type = "starttls-not-supported";
      }
      if (ev.success || !ev.result_type.empty()) report_tls(std::move(ev));
    }
    for (auto& [i, tr] : r.done) {
      record(i, tr, at.host);
      held.erase(i);
    }
    for (auto& [i, tr] : r.held_back) held[i] = {std::move(tr), at.host};
    if (!r.connected) {
      last_failure = local_reply(false, 451, "4.4.1", r.connect_error, at.host);
    } else if (r.close && r.close->reason != CloseReason::quit) {
      last_failure = close_reply(*r.close, at);
    }
    if (r.reverse_dns_refusal && at.address.is_v6()) {
      skip_v6 = true;
      log::info("relay", "{}: {} refuses IPv6 for reverse DNS; going on over IPv4", j.domain,
                describe_attempt(at));
    }
    if (last_failure && !todo.empty()) log::info("relay", "{}: {}", j.domain, last_failure->text);
  }
  release(key);

  for (std::size_t i : todo) {
    if (auto h = held.find(i); h != held.end()) {
      record(i, h->second.first, h->second.second);
      continue;
    }
    queue::RemoteReply reply =
        last_failure ? *last_failure
                     : local_reply(false, 451, "4.4.1", "no server for " + j.domain + " tried");
    for (auto& r : j.replies[i]) r = reply;
    for (const auto& rc : j.messages[i]->recipients)
      log::info("relay", "{}: to=<{}> status={} ({} {} {})", j.messages[i]->id, rc.address,
                kind_name(reply.kind), reply.code, reply.enhanced, reply.text);
  }
  finish(j);
  (void)self;
}

}  // namespace estafeta::smtp
