// qf-at-acceptor: a QuickFIX C++ acceptor configured the way the QuickFIX
// acceptance scripts expect (../../../shared/conformance/README.md), used as
// the reference that proves fixrail's acceptance-script runner
// (tests/acceptance) is right: real QuickFIX passes every script, so a
// failure against this peer is a runner bug or a wrong setting here.
//
// Usage: qf-at-acceptor SETTINGS
//   SETTINGS is a QuickFIX settings file (acceptor.cfg.in with its
//   placeholders filled in by the runner). Logs every message and session
//   event to stdout. Runs until SIGTERM or SIGINT, then stops the acceptor
//   (logging out any session still logged on) and exits 0.
//
// The application behind the sessions is the README's "echo" application:
// - NewOrderSingle (D), SecurityDefinition (d) and Email (C) are sent back as
//   received; the session refills BeginString, BodyLength, MsgSeqNum,
//   SenderCompID, SendingTime, TargetCompID and CheckSum (and drops
//   PossDupFlag and OrigSendingTime, as every non-resent message does).
// - A D with PossResend (97) = Y whose ClOrdID (11) was already seen on that
//   session since its last logout is dropped silently.
// - Any other application message is answered by the session with a
//   BusinessMessageReject (j), 380 = 3 "Unsupported Message Type".

#include <quickfix/Application.h>
#include <quickfix/Exceptions.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>

#include <csignal>
#include <exception>
#include <iostream>
#include <map>
#include <set>
#include <string>

namespace {

class EchoApplication : public FIX::Application {
public:
  void onCreate(const FIX::SessionID &) override {}
  void onLogon(const FIX::SessionID &) override {}
  // "Seen since the last logout": a logout or disconnect forgets the ClOrdIDs.
  void onLogout(const FIX::SessionID &session) override { seen_.erase(session); }
  void toAdmin(FIX::Message &, const FIX::SessionID &) override {}
  void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message &, const FIX::SessionID &) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::RejectLogon) override {}

  void fromApp(const FIX::Message &message, const FIX::SessionID &session) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    const std::string &type = message.getHeader().getField(FIX::FIELD::MsgType);
    if (type == "D") {
      const std::string &clOrdId = message.getField(FIX::FIELD::ClOrdID);
      const bool firstTime = seen_[session].insert(clOrdId).second;
      const FIX::FieldMap &header = message.getHeader();
      const bool possResend = header.isSetField(FIX::FIELD::PossResend) &&
                              header.getField(FIX::FIELD::PossResend) == "Y";
      if (possResend && !firstTime)
        return;
      echo(message, session);
    } else if (type == "d" || type == "C") {
      echo(message, session);
    } else {
      // The session turns this into BusinessMessageReject 380=3.
      throw FIX::UnsupportedMessageType();
    }
  }

private:
  static void echo(const FIX::Message &message, const FIX::SessionID &session) {
    FIX::Message copy(message);
    FIX::Session::sendToTarget(copy, session);
  }

  std::map<FIX::SessionID, std::set<std::string>> seen_;
};

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: qf-at-acceptor SETTINGS" << std::endl;
    return 2;
  }
  // Block the stop signals before QuickFIX starts its thread, so the thread
  // inherits the mask and only sigwait below sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  try {
    FIX::SessionSettings settings(argv[1]);
    EchoApplication application;
    FIX::MemoryStoreFactory store;
    FIX::ScreenLogFactory log(settings);
    FIX::SocketAcceptor acceptor(application, store, settings, log);
    acceptor.start();
    std::cout << "qf-at-acceptor: listening" << std::endl;
    int signal = 0;
    sigwait(&stop, &signal);
    std::cout << "qf-at-acceptor: signal " << signal << ", stopping" << std::endl;
    acceptor.stop();
    std::cout << "qf-at-acceptor: stopped" << std::endl;
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "qf-at-acceptor: " << argv[1] << ": " << e.what() << std::endl;
    return 1;
  }
}
