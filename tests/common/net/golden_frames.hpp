// Golden frames shared by net_test and speaker_core_test.
//
// kKernel* were captured with `tcpdump -xx` on a veth pair in a network namespace (Linux 6.x):
// va = 02:00:00:00:00:0a (192.0.2.10, 2001:db8::a, fe80::ff:fe00:a), vb = 02:00:00:00:00:0b
// (192.0.2.11, 2001:db8::b). The others were built by hand with an independent Python checksum
// (which reproduces the kernel's 0x4c3b and 0xba85 below). Turn them into bytes with
// l1net::testing::hex.
#pragma once

#include <string_view>

namespace l1net::golden {

// Kernel ARP request: who-has 192.0.2.11 tell 192.0.2.10 (42 bytes: veth does not pad).
inline constexpr std::string_view kKernelArpRequest =
    "ffff ffff ffff 0200 0000 000a 0806 0001 0800 0604 0001 0200 0000 000a c000 020a"
    "0000 0000 0000 c000 020b";

// Kernel NS fe80::ff:fe00:a -> ff02::1:ff00:b, who has 2001:db8::b, SLLA 02:..:0a, csum 0x4c3b.
inline constexpr std::string_view kKernelNs =
    "3333 ff00 000b 0200 0000 000a 86dd 6000 0000 0020 3aff fe80 0000 0000 0000 0000"
    "00ff fe00 000a ff02 0000 0000 0000 0000 0001 ff00 000b 8700 4c3b 0000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000b 0101 0200 0000 000a";

// The kernel's answer to kKernelNs: 2001:db8::b -> fe80::ff:fe00:a, S=1 O=1, TLLA 02:..:0b.
inline constexpr std::string_view kKernelNa =
    "0200 0000 000a 0200 0000 000b 86dd 6000 0000 0020 3aff 2001 0db8 0000 0000 0000"
    "0000 0000 000b fe80 0000 0000 0000 0000 00ff fe00 000a 8800 ba85 6000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000b 0201 0200 0000 000b";

// Kernel DAD NS :: -> ff02::1:ff00:c for 2001:db8::c from 02:..:0b, with a nonce option (14).
inline constexpr std::string_view kKernelDadNs =
    "3333 ff00 000c 0200 0000 000b 86dd 6000 0000 0020 3aff 0000 0000 0000 0000 0000"
    "0000 0000 0000 ff02 0000 0000 0000 0000 0001 ff00 000c 8700 7e8d 0000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000c 0e01 ebcb 82d1 51a3";

// Unicast NUD probe without any option (the #2920 form): 2001:db8::a -> 2001:db8::b.
inline constexpr std::string_view kNudNsNoOptions =
    "0200 0000 000b 0200 0000 000a 86dd 6000 0000 0018 3aff 2001 0db8 0000 0000 0000"
    "0000 0000 000a 2001 0db8 0000 0000 0000 0000 0000 000b 8700 ef61 0000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000b";

// Our NA for kNudNsNoOptions: to the NS's Ethernet source, S=1 O=1, TLLA 02:..:0b.
inline constexpr std::string_view kNaForNud =
    "0200 0000 000a 0200 0000 000b 86dd 6000 0000 0020 3aff 2001 0db8 0000 0000 0000"
    "0000 0000 000b 2001 0db8 0000 0000 0000 0000 0000 000a 8800 8a4d 6000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000b 0201 0200 0000 000b";

// Our NA for kKernelNs when the interface link-local fe80::ff:fe00:b is known.
inline constexpr std::string_view kNaFromLinkLocal =
    "0200 0000 000a 0200 0000 000b 86dd 6000 0000 0020 3aff fe80 0000 0000 0000 0000"
    "00ff fe00 000b fe80 0000 0000 0000 0000 00ff fe00 000a 8800 eabd 6000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000b 0201 0200 0000 000b";

// Our NA for kKernelDadNs when 02:..:0a owns 2001:db8::c: to all-nodes, S=0 O=1.
inline constexpr std::string_view kNaForDad =
    "3333 0000 0001 0200 0000 000a 86dd 6000 0000 0020 3aff 2001 0db8 0000 0000 0000"
    "0000 0000 000c ff02 0000 0000 0000 0000 0000 0000 0001 8800 f90b 2000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000c 0201 0200 0000 000a";

// Unsolicited NA for 2001:db8::b from 02:..:0b, source = the VIP / the link-local.
inline constexpr std::string_view kUnsolicitedNaFromVip =
    "3333 0000 0001 0200 0000 000b 86dd 6000 0000 0020 3aff 2001 0db8 0000 0000 0000"
    "0000 0000 000b ff02 0000 0000 0000 0000 0000 0000 0001 8800 f90c 2000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000b 0201 0200 0000 000b";
inline constexpr std::string_view kUnsolicitedNaFromLinkLocal =
    "3333 0000 0001 0200 0000 000b 86dd 6000 0000 0020 3aff fe80 0000 0000 0000 0000"
    "00ff fe00 000b ff02 0000 0000 0000 0000 0000 0000 0001 8800 2945 2000 0000 2001"
    "0db8 0000 0000 0000 0000 0000 000b 0201 0200 0000 000b";

// Our ARP reply to kKernelArpRequest from 02:..:0b owning 192.0.2.11, padded to 60 bytes.
inline constexpr std::string_view kArpReplyToKernel =
    "0200 0000 000a 0200 0000 000b 0806 0001 0800 0604 0002 0200 0000 000b c000 020b"
    "0200 0000 000a c000 020a 0000 0000 0000 0000 0000 0000 0000 0000 0000";

// Gratuitous ARP for 198.51.100.220 from 02:..:0b: Request (tha 0) and Reply (tha = own MAC).
inline constexpr std::string_view kGratuitousArpRequest =
    "ffff ffff ffff 0200 0000 000b 0806 0001 0800 0604 0001 0200 0000 000b c633 64dc"
    "0000 0000 0000 c633 64dc 0000 0000 0000 0000 0000 0000 0000 0000 0000";
inline constexpr std::string_view kGratuitousArpReply =
    "ffff ffff ffff 0200 0000 000b 0806 0001 0800 0604 0002 0200 0000 000b c633 64dc"
    "0200 0000 000b c633 64dc 0000 0000 0000 0000 0000 0000 0000 0000 0000";

}  // namespace l1net::golden
