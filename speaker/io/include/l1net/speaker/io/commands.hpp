// The speakerctl commands served by a running speaker: status, explain IP, stats, garp IP.
// `members` (failover) registers itself next to these with ControlServer::handle().
#pragma once

#include "l1net/speaker/control.hpp"
#include "l1net/speaker/io/speaker.hpp"

namespace l1net::speaker {

// Registers the commands; `speaker` must outlive `server`'s use of them.
void registerSpeakerCommands(ControlServer& server, Speaker& speaker);

}  // namespace l1net::speaker
