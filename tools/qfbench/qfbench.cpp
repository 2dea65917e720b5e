// qfbench: a QuickFIX C++ latency initiator, the QuickFIX side of fixrail's
// side-by-side latency comparison (issue 6).
//
// One FIX 4.4 initiator session (ResetOnLogon=Y, MemoryStore, no log) logs on
// and plays ping-pong: it sends a limit Day NewOrderSingle, spin-waits for the
// first ExecutionReport carrying that ClOrdID (the ack, or the fill if it
// crossed), records the round trip with std::chrono::steady_clock, and sends the
// next. Sides alternate Buy/Sell at one price, so the orders cross and fill.
// Options, output and exit codes are documented in README.md beside this file.

#include <quickfix/Application.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/fix44/NewOrderSingle.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QFBENCH_PAUSE() _mm_pause()
#else
#define QFBENCH_PAUSE() ((void)0)
#endif

namespace {

enum ExitCode { kDone = 0, kUsage = 2, kSetup = 3, kLogon = 4, kTimeout = 5, kFileIo = 6, kRejected = 7 };

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1", sender, target, dir, dict, symbol = "EUR/USD", price = "1.08500",
              qty = "1000", out;
  long port = 0, orders = 0, warmup = 1000, timeout_secs = 10;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "qfbench: %s\nusage: qfbench --port P [--host 127.0.0.1] --sender S --target T --dir DIR "
               "--dict PATH --orders N [--warmup 1000] [--symbol EUR/USD] [--price 1.08500] [--qty 1000] "
               "[--timeout 10] --out FILE\n",
               why.c_str());
  std::exit(kUsage);
}

[[noreturn]] void die(int code, const std::string& why) {
  std::fprintf(stderr, "qfbench: %s\n", why.c_str());
  std::fflush(stdout);
  std::_Exit(code);  // QuickFIX's threads may still run: do not unwind under them
}

long to_long(const std::string& flag, const std::string& text, long min) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min)
    usage(flag + " needs an integer >= " + std::to_string(min) + ", got '" + text + "'");
  return v;
}

// A positive decimal written as digits with at most one '.', sent exactly as given.
std::string decimal(const std::string& flag, const std::string& text) {
  bool digit = false, dot = false, ok = !text.empty();
  for (char c : text) {
    if (c >= '0' && c <= '9') digit = true;
    else if (c == '.' && !dot) dot = true;
    else ok = false;
  }
  if (!ok || !digit || std::strtod(text.c_str(), nullptr) <= 0)
    usage(flag + " needs a positive decimal such as 1.08500, got '" + text + "'");
  return text;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") usage("help");
    if (i + 1 >= argc) usage("missing value after " + a);
    std::string v = argv[++i];
    if (a == "--port") o.port = to_long(a, v, 1);
    else if (a == "--host") o.host = v;
    else if (a == "--sender") o.sender = v;
    else if (a == "--target") o.target = v;
    else if (a == "--dir") o.dir = v;
    else if (a == "--dict") o.dict = v;
    else if (a == "--orders") o.orders = to_long(a, v, 1);
    else if (a == "--warmup") o.warmup = to_long(a, v, 0);
    else if (a == "--symbol") o.symbol = v;
    else if (a == "--price") o.price = decimal(a, v);
    else if (a == "--qty") o.qty = decimal(a, v);
    else if (a == "--timeout") o.timeout_secs = to_long(a, v, 1);
    else if (a == "--out") o.out = v;
    else usage("unknown option " + a);
  }
  if (o.port == 0 || o.port > 65535) usage("--port P (1..65535) is required");
  if (o.sender.empty() || o.target.empty()) usage("--sender and --target are required");
  if (o.dir.empty()) usage("--dir is required");
  if (o.dict.empty()) usage("--dict is required");
  if (o.orders == 0) usage("--orders N (N >= 1) is required");
  if (o.out.empty()) usage("--out FILE is required");
  if (o.symbol.empty()) usage("--symbol must not be empty");
  return o;
}

// The hand-off from QuickFIX's socket thread (fromApp) to the sending thread.
// ClOrdIDs are "<prefix><index>"; fromApp stores the index of the first
// ExecutionReport for the order being waited on in `answered`.
class Bench : public FIX::Application {
 public:
  explicit Bench(std::string prefix) : prefix_(std::move(prefix)) {}

  std::atomic<long> waiting_for{0};  // index the sender waits on; 0 = none
  std::atomic<long> answered{0};     // index of the last answered order
  std::atomic<bool> rejected{false}; // the answer was a reject (150=8)
  std::atomic<bool> logged_on{false};
  std::atomic<bool> logged_out{false};

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override { logged_on.store(true, std::memory_order_release); }
  void onLogout(const FIX::SessionID&) override {
    logged_on.store(false, std::memory_order_release);
    logged_out.store(true, std::memory_order_release);
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    const std::string& type = m.getHeader().getFieldRef(FIX::FIELD::MsgType).getString();
    if ((type == "5" || type == "3") && m.isSetField(FIX::FIELD::Text))
      std::fprintf(stderr, "qfbench: %s from the acceptor: %s\n", type == "5" ? "Logout" : "Reject",
                   m.getFieldRef(FIX::FIELD::Text).getString().c_str());
  }
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromApp(const FIX::Message& m, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
            FIX::UnsupportedMessageType) override {
    long want = waiting_for.load(std::memory_order_acquire);
    if (want == 0 || !m.isSetField(FIX::FIELD::ClOrdID)) return;
    if (m.getHeader().getFieldRef(FIX::FIELD::MsgType).getString() != "8") return;
    const std::string& id = m.getFieldRef(FIX::FIELD::ClOrdID).getString();
    if (id.size() <= prefix_.size() || id.compare(0, prefix_.size(), prefix_) != 0) return;
    long index = std::strtol(id.c_str() + prefix_.size(), nullptr, 10);
    if (index != want) return;  // e.g. the fill of the previous (resting) order
    if (m.isSetField(FIX::FIELD::ExecType) && m.getFieldRef(FIX::FIELD::ExecType).getString() == "8") {
      std::string text = m.isSetField(FIX::FIELD::Text) ? m.getFieldRef(FIX::FIELD::Text).getString() : "-";
      std::fprintf(stderr, "qfbench: order %s rejected by the venue: %s\n", id.c_str(), text.c_str());
      rejected.store(true, std::memory_order_release);
    }
    waiting_for.store(0, std::memory_order_relaxed);
    answered.store(index, std::memory_order_release);
  }

 private:
  std::string prefix_;
};

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    die(kSetup, "cannot create directory " + path + ": " + std::strerror(errno));
}

std::string write_settings(const Options& o) {
  std::string path = o.dir + "/qfbench.cfg";
  std::ofstream f(path, std::ios::trunc);
  f << "[DEFAULT]\nConnectionType=initiator\nStartTime=00:00:00\nEndTime=00:00:00\n"
    << "ReconnectInterval=1\nSocketNodelay=Y\nResetOnLogon=Y\nPersistMessages=N\n"
    << "UseDataDictionary=Y\nDataDictionary=" << o.dict << "\n"
    << "\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" << o.sender << "\nTargetCompID=" << o.target
    << "\nHeartBtInt=30\nSocketConnectHost=" << o.host << "\nSocketConnectPort=" << o.port << "\n";
  f.close();
  if (!f) die(kSetup, "cannot write " + path);
  return path;
}

// Waits until pred() holds: spins with a CPU pause for a while, then yields to
// the scheduler (the box may have fewer cores than busy threads). False when
// `deadline` passes first.
template <typename Pred>
bool spin_until(Pred pred, Clock::time_point deadline) {
  for (int i = 0; i < 4096; ++i) {
    if (pred()) return true;
    QFBENCH_PAUSE();
  }
  for (unsigned n = 0;; ++n) {
    if (pred()) return true;
    if ((n & 255) == 0 && Clock::now() >= deadline) return pred();
    std::this_thread::yield();
  }
}

// Waits (sleeping, not spinning) until pred() holds or `deadline` passes: for
// logon and logout, off the hot path.
template <typename Pred>
bool sleep_until(Pred pred, Clock::time_point deadline) {
  while (!pred()) {
    if (Clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Nearest-rank percentile of sorted values, in microseconds.
double pct_us(const std::vector<long long>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::min(std::max<size_t>(rank, 1), sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (::access(o.dict.c_str(), R_OK) != 0)
    die(kSetup, "cannot read data dictionary " + o.dict + ": " + std::strerror(errno));
  make_dir(o.dir);
  std::string cfg = write_settings(o);
  std::FILE* out = std::fopen(o.out.c_str(), "w");
  if (!out) die(kFileIo, "cannot open --out " + o.out + ": " + std::strerror(errno));

  // ClOrdIDs unique per run, so a venue that remembers earlier runs' orders
  // does not refuse them as duplicates.
  std::string prefix = "QB" + std::to_string(static_cast<long long>(::getpid())) + "-" +
                       std::to_string(static_cast<long long>(Clock::now().time_since_epoch().count() % 1000000000)) +
                       "-";
  Bench app(prefix);
  FIX::SessionID sid("FIX.4.4", o.sender, o.target);
  std::unique_ptr<FIX::SessionSettings> settings;
  FIX::MemoryStoreFactory store;
  std::unique_ptr<FIX::SocketInitiator> initiator;
  FIX::Session* session = nullptr;
  try {
    settings.reset(new FIX::SessionSettings(cfg));
    initiator.reset(new FIX::SocketInitiator(app, store, *settings));  // no LogFactory: no log
    session = FIX::Session::lookupSession(sid);
    if (!session) die(kSetup, "QuickFIX created no session " + sid.toString());
    initiator->start();
  } catch (std::exception& e) {
    die(kSetup, std::string("QuickFIX start-up failed: ") + e.what());
  }

  auto timeout = std::chrono::seconds(o.timeout_secs);
  if (!sleep_until([&] { return app.logged_on.load(std::memory_order_acquire); }, Clock::now() + timeout))
    die(kLogon, "no Logon with " + o.host + ":" + std::to_string(o.port) + " as " + o.sender + "->" + o.target +
                    " within " + std::to_string(o.timeout_secs) + " s (is the venue running, with an acceptor "
                    "session for these CompIDs?)");

  // One message, reused: only ClOrdID, Side and TransactTime change per order.
  FIX44::NewOrderSingle d(FIX::ClOrdID(prefix + "0"), FIX::Side(FIX::Side_BUY), FIX::TransactTime(),
                          FIX::OrdType(FIX::OrdType_LIMIT));
  d.setField(FIX::FIELD::Symbol, o.symbol);
  d.setField(FIX::FIELD::OrderQty, o.qty);
  d.setField(FIX::FIELD::Price, o.price);
  d.set(FIX::TimeInForce(FIX::TimeInForce_DAY));
  FIX::ClOrdID cl;
  FIX::Side buy(FIX::Side_BUY), sell(FIX::Side_SELL);
  char id_buf[96];

  const long total = o.warmup + o.orders;
  std::vector<long long> rtt;
  rtt.reserve(static_cast<size_t>(o.orders));
  for (long i = 1; i <= total; ++i) {
    std::snprintf(id_buf, sizeof id_buf, "%s%ld", prefix.c_str(), i);
    cl.setString(id_buf);
    d.set(cl);
    d.set((i & 1) ? buy : sell);
    d.set(FIX::TransactTime());
    app.waiting_for.store(i, std::memory_order_release);
    auto t0 = Clock::now();
    if (!session->send(d)) die(kLogon, "order " + std::to_string(i) + " not sent: the session is not logged on");
    if (!spin_until([&] { return app.answered.load(std::memory_order_acquire) == i; }, t0 + timeout))
      die(kTimeout, "no ExecutionReport for order " + std::string(id_buf) + " within " +
                        std::to_string(o.timeout_secs) + " s" +
                        (app.logged_on.load() ? "" : " (the session logged out)"));
    auto t1 = Clock::now();
    if (app.rejected.load(std::memory_order_acquire))
      die(kRejected, "the venue rejected order " + std::string(id_buf) + " (check --symbol, --price, --qty)");
    if (i > o.warmup) rtt.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  }

  for (long long ns : rtt) std::fprintf(out, "%lld\n", ns);
  if (std::fclose(out) != 0) die(kFileIo, "cannot write --out " + o.out + ": " + std::strerror(errno));

  std::vector<long long> sorted(rtt);
  std::sort(sorted.begin(), sorted.end());
  std::printf("p50_us=%.2f p90_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f orders=%zu\n", pct_us(sorted, 0.50),
              pct_us(sorted, 0.90), pct_us(sorted, 0.99), pct_us(sorted, 0.999),
              static_cast<double>(sorted.back()) / 1000.0, sorted.size());
  std::fflush(stdout);

  session->logout("qfbench done");
  if (!sleep_until([&] { return app.logged_out.load(std::memory_order_acquire); }, Clock::now() + timeout))
    std::fprintf(stderr, "qfbench: warning: no Logout answer within %ld s\n", o.timeout_secs);
  initiator->stop();
  return kDone;
}
