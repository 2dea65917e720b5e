// qfpeer: a QuickFIX C++ counterparty for fixrail interop tests.
//
// One FIX 4.4 session (initiator or acceptor) with a persistent FileStore, so a
// restart with the same --dir continues the session. It sends --send N
// NewOrderSingle messages, records every application message it receives, and
// exits when --expect N distinct ClOrdIDs have arrived. Options, files, stdout
// events and exit codes are documented in README.md beside this file.

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/fix44/NewOrderSingle.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace {

enum ExitCode { kDone = 0, kStopped = 1, kUsage = 2, kSetup = 3, kFileIo = 4 };

struct Options {
  std::string role, host = "127.0.0.1", sender, target, dir, dict, id_prefix;
  long port = 0, heartbeat = 30, send = 0, expect = -1, stay = 0;
  double rate = 0;  // messages per second; 0 = as fast as the session allows
  bool echo = false, reset_on_logon = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "qfpeer: %s\nusage: qfpeer --role initiator|acceptor --port P [--host H] --sender S "
               "--target T --dir DIR --dict PATH [--heartbeat 30] [--send N] [--expect N] [--echo] "
               "[--reset-on-logon] [--rate PER_SEC] [--id-prefix X] [--stay SECONDS]\n",
               why.c_str());
  std::exit(kUsage);
}

long to_long(const std::string& flag, const std::string& text, long min) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min)
    usage(flag + " needs an integer >= " + std::to_string(min) + ", got '" + text + "'");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--echo") { o.echo = true; continue; }
    if (a == "--reset-on-logon") { o.reset_on_logon = true; continue; }
    if (i + 1 >= argc) usage("missing value after " + a);
    std::string v = argv[++i];
    if (a == "--role") o.role = v;
    else if (a == "--port") o.port = to_long(a, v, 1);
    else if (a == "--host") o.host = v;
    else if (a == "--sender") o.sender = v;
    else if (a == "--target") o.target = v;
    else if (a == "--dir") o.dir = v;
    else if (a == "--dict") o.dict = v;
    else if (a == "--heartbeat") o.heartbeat = to_long(a, v, 1);
    else if (a == "--send") o.send = to_long(a, v, 0);
    else if (a == "--expect") o.expect = to_long(a, v, 0);
    else if (a == "--id-prefix") o.id_prefix = v;
    else if (a == "--stay") o.stay = to_long(a, v, 0);
    else if (a == "--rate") {
      char* end = nullptr;
      o.rate = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(o.rate > 0)) usage("--rate needs a number > 0, got '" + v + "'");
    } else usage("unknown option " + a);
  }
  if (o.role != "initiator" && o.role != "acceptor") usage("--role must be initiator or acceptor");
  if (o.port == 0 || o.port > 65535) usage("--port P (1..65535) is required");
  if (o.sender.empty() || o.target.empty()) usage("--sender and --target are required");
  if (o.dir.empty()) usage("--dir is required");
  return o;
}

std::mutex g_out_mu;
void event(const std::string& line) {
  std::lock_guard<std::mutex> l(g_out_mu);
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

[[noreturn]] void die(int code, const std::string& why) {
  std::fprintf(stderr, "qfpeer: %s\n", why.c_str());
  std::fflush(stdout);
  std::_Exit(code);
}

// An append-only file written with one write(2) per line: a kill -9 loses at
// most the line being written, never a flushed one.
class AppendFile {
 public:
  explicit AppendFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) die(kFileIo, "cannot open " + path + ": " + std::strerror(errno));
  }
  ~AppendFile() { ::close(fd_); }
  void line(const std::string& text) {
    std::string buf = text + "\n";
    if (::write(fd_, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size()))
      die(kFileIo, "cannot append to " + path_ + ": " + std::strerror(errno));
  }

 private:
  std::string path_;
  int fd_;
};

// Index of the NewOrderSingle the main thread is sending right now (0 = none).
// toApp runs on the sending thread, so this tells our sends from echoes and
// from QuickFIX's own resends (which run on the socket thread).
thread_local long t_sending_index = 0;

class Peer : public FIX::Application {
 public:
  Peer(const Options& o, std::set<std::string> seen)
      : o_(o), sent_(o.dir + "/sent"), received_(o.dir + "/received"), ids_(std::move(seen)) {
    const char* kill_at = std::getenv("QFPEER_KILL_AT_INDEX");
    kill_at_ = kill_at ? std::atol(kill_at) : 0;
  }

  std::mutex mu;
  std::condition_variable cv;
  bool logged_on = false;
  bool stop_requested = false;
  size_t distinct_ids() { return ids_.size(); }  // caller holds mu

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {
    event("LOGON");
    { std::lock_guard<std::mutex> l(mu); logged_on = true; }
    cv.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::string text;
    { std::lock_guard<std::mutex> l(mu); logged_on = false; text.swap(logout_text_); }
    event("LOGOUT " + (text.empty() ? std::string("-") : text));
    cv.notify_all();
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    if (m.getHeader().getField(FIX::FIELD::MsgType) == "5" && m.isSetField(FIX::FIELD::Text)) {
      std::lock_guard<std::mutex> l(mu);
      logout_text_ = m.getField(FIX::FIELD::Text);
    }
  }
  // Records "<index> <MsgSeqNum>" before QuickFIX persists and sends the message;
  // main() compares it with the store's next sender MsgSeqNum after a restart.
  void toApp(FIX::Message& m, const FIX::SessionID&) throw(FIX::DoNotSend) override {
    if (t_sending_index <= 0) return;
    sent_.line(std::to_string(t_sending_index) + " " + m.getHeader().getField(FIX::FIELD::MsgSeqNum));
    if (t_sending_index == kill_at_) ::kill(::getpid(), SIGKILL);  // test hook, see README
  }
  void fromApp(const FIX::Message& m, const FIX::SessionID& sid)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
            FIX::UnsupportedMessageType) override {
    const FIX::Header& h = m.getHeader();
    std::string type = h.getField(FIX::FIELD::MsgType);
    std::string id = m.isSetField(FIX::FIELD::ClOrdID) ? m.getField(FIX::FIELD::ClOrdID) : "-";
    bool poss_dup = h.isSetField(FIX::FIELD::PossDupFlag) && h.getField(FIX::FIELD::PossDupFlag) == "Y";
    received_.line(type + " " + id + " " + h.getField(FIX::FIELD::MsgSeqNum) + (poss_dup ? " Y" : " N"));
    if (o_.echo && type == "D") echo(m, sid, id, poss_dup);
    if (id != "-") {
      { std::lock_guard<std::mutex> l(mu); ids_.insert(id); }
      cv.notify_all();
    }
  }

 private:
  // Sends a received D back with the same body. Not echoed: our own ids coming
  // back (when --id-prefix is set), and PossDup repeats already echoed this run.
  void echo(const FIX::Message& m, const FIX::SessionID& sid, const std::string& id, bool poss_dup) {
    if (!o_.id_prefix.empty() && id.compare(0, o_.id_prefix.size(), o_.id_prefix) == 0) return;
    if (poss_dup && echoed_.count(id)) return;
    FIX::Message out(m);
    out.getHeader().clear();
    out.getTrailer().clear();
    out.getHeader().setField(FIX::MsgType("D"));
    FIX::Session::sendToTarget(out, sid);
    echoed_.insert(id);
  }

  const Options& o_;
  AppendFile sent_, received_;
  std::set<std::string> ids_, echoed_;
  std::string logout_text_;
  long kill_at_;  // QFPEER_KILL_AT_INDEX: SIGKILL self after recording this index
};

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    die(kSetup, "cannot create directory " + path + ": " + std::strerror(errno));
}

// ClOrdIDs already recorded in DIR/received by an earlier run.
std::set<std::string> load_received(const std::string& path) {
  std::set<std::string> ids;
  std::ifstream in(path);
  std::string line, type, id;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (fields >> type >> id && id != "-") ids.insert(id);
  }
  return ids;
}

// First index to send, from the last complete "<index> <seq>" line of DIR/sent
// and the store's next outgoing MsgSeqNum. If that is still <seq>, the index was
// recorded but never stored, hence never sent (QuickFIX stores before it writes
// to the socket): send it again. Otherwise it is stored; QuickFIX resends it on
// request, so continue after it.
long resume_index(const std::string& path, int next_sender_seq) {
  std::pair<long, long> last{0, 0};
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: torn by a kill, never sent
    long idx = 0, seq = 0;
    if (std::sscanf(line.c_str(), "%ld %ld", &idx, &seq) == 2) last = {idx, seq};
  }
  if (last.first == 0) return 1;
  return next_sender_seq == last.second ? last.first : last.first + 1;
}

std::string write_settings(const Options& o) {
  std::string path = o.dir + "/qfpeer.cfg";
  std::ofstream f(path, std::ios::trunc);
  f << "[DEFAULT]\nConnectionType=" << o.role << "\nFileStorePath=" << o.dir << "/store\n"
    << "FileLogPath=" << o.dir << "/log\nStartTime=00:00:00\nEndTime=00:00:00\n"
    << "ReconnectInterval=1\nSocketNodelay=Y\nSocketReuseAddress=Y\nPersistMessages=Y\n"
    << "ResetOnLogon=" << (o.reset_on_logon ? "Y" : "N") << "\n"
    << "UseDataDictionary=" << (o.dict.empty() ? "N" : "Y") << "\n";
  if (!o.dict.empty()) f << "DataDictionary=" << o.dict << "\n";
  f << "\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" << o.sender << "\nTargetCompID=" << o.target
    << "\nHeartBtInt=" << o.heartbeat << "\n";
  if (o.role == "initiator")
    f << "SocketConnectHost=" << o.host << "\nSocketConnectPort=" << o.port << "\n";
  else
    f << "SocketAcceptPort=" << o.port << "\n";
  f.close();
  if (!f) die(kSetup, "cannot write " + path);
  return path;
}

FIX44::NewOrderSingle order(const Options& o, long i) {
  FIX44::NewOrderSingle d(FIX::ClOrdID(o.id_prefix + std::to_string(i)), FIX::Side(i % 2 ? '1' : '2'),
                          FIX::TransactTime(), FIX::OrdType('2'));
  d.set(FIX::Symbol("FXR"));
  d.set(FIX::OrderQty(100 + i % 900));
  d.set(FIX::Price(100.0 + static_cast<double>(i % 100) / 4.0));
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (!o.dict.empty() && ::access(o.dict.c_str(), R_OK) != 0)
    die(kSetup, "cannot read data dictionary " + o.dict + ": " + std::strerror(errno));
  make_dir(o.dir);
  make_dir(o.dir + "/store");
  make_dir(o.dir + "/log");
  std::string cfg = write_settings(o);

  // SIGINT/SIGTERM are taken by one thread (blocked everywhere else, including
  // QuickFIX's threads, which inherit the mask) and turned into a clean logout.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  Peer app(o, load_received(o.dir + "/received"));
  std::thread([&app, sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    { std::lock_guard<std::mutex> l(app.mu); app.stop_requested = true; }
    app.cv.notify_all();
  }).detach();

  FIX::SessionID sid("FIX.4.4", o.sender, o.target);
  std::unique_ptr<FIX::SessionSettings> settings;
  std::unique_ptr<FIX::FileStoreFactory> store;
  std::unique_ptr<FIX::FileLogFactory> log;
  std::unique_ptr<FIX::Initiator> initiator;
  std::unique_ptr<FIX::Acceptor> acceptor;
  FIX::Session* session = nullptr;
  long next = 1;  // first index to send
  try {
    settings.reset(new FIX::SessionSettings(cfg));
    store.reset(new FIX::FileStoreFactory(*settings));
    log.reset(new FIX::FileLogFactory(*settings));
    if (o.role == "initiator") initiator.reset(new FIX::SocketInitiator(app, *store, *settings, *log));
    else acceptor.reset(new FIX::SocketAcceptor(app, *store, *settings, *log));
    session = FIX::Session::lookupSession(sid);
    if (!session) die(kSetup, "QuickFIX created no session " + sid.toString());
    next = resume_index(o.dir + "/sent", session->getExpectedSenderNum());  // before start(): Logon takes a seq
    if (initiator) initiator->start();
    else acceptor->start();
  } catch (std::exception& e) {
    die(kSetup, std::string("QuickFIX start-up failed: ") + e.what());
  }

  std::unique_lock<std::mutex> lock(app.mu);
  auto t0 = std::chrono::steady_clock::now();
  for (long i = next, k = 0; i <= o.send && !app.stop_requested; ++k) {
    if (o.rate > 0) {
      auto due = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          std::chrono::duration<double>(k / o.rate));
      if (app.cv.wait_until(lock, due, [&] { return app.stop_requested; })) break;
    }
    app.cv.wait(lock, [&] { return app.logged_on || app.stop_requested; });
    if (app.stop_requested) break;
    lock.unlock();
    FIX44::NewOrderSingle d = order(o, i);
    t_sending_index = i;
    bool ok = FIX::Session::sendToTarget(d, sid);
    t_sending_index = 0;
    lock.lock();
    if (ok) ++i;
    else app.cv.wait_for(lock, std::chrono::milliseconds(10));  // e.g. logged out meanwhile; retry i
  }
  bool sends_done = !app.stop_requested;
  if (sends_done) event("SENT " + std::to_string(o.send));

  // Finished when every send is done and --expect distinct ClOrdIDs have arrived.
  // Without --expect the peer runs until SIGINT/SIGTERM.
  auto finished = [&] { return sends_done && o.expect >= 0 && app.distinct_ids() >= size_t(o.expect); };
  app.cv.wait(lock, [&] { return app.stop_requested || finished(); });
  bool done = finished() || (sends_done && o.expect < 0);
  if (finished()) {
    event("DONE");
    app.cv.wait_for(lock, std::chrono::seconds(o.stay), [&] { return app.stop_requested; });
  }
  lock.unlock();

  session->logout("qfpeer done");
  lock.lock();
  app.cv.wait_for(lock, std::chrono::seconds(10), [&] { return !app.logged_on; });
  lock.unlock();
  if (initiator) initiator->stop();
  else acceptor->stop();
  initiator.reset();  // destroys the session: its FileLog and FileStore close
  acceptor.reset();
  std::fflush(stdout);
  return done ? kDone : kStopped;
}
