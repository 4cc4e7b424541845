// CAP 1.2 (OASIS Common Alerting Protocol) for alerts that leave or enter
// the system: decode with libxml2 — no DTD, no entity expansion, no network,
// no XInclude, size-limited — validate against the CAP 1.2 XSD (compiled in)
// and against the rules the XSD cannot say (identifier characters, reference
// triples of an Update or Cancel), and encode. Liandong's alerts are encoded
// after the Chinese profile GB/T 35965.1: a zh-CN and an en-US info block,
// the 12-digit administrative code as geocode "CPEAS Geographic Code", times
// in +08:00, Update and Cancel chained to the first message by <references>.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "liandong.pb.h"

namespace liandong::alerts::cap {

struct ValuePair {
  std::string valueName, value;
  bool operator==(const ValuePair &) const = default;
};
struct Resource {
  std::string resourceDesc, mimeType, size, uri, derefUri, digest;
  bool operator==(const Resource &) const = default;
};
struct Area {
  std::string areaDesc;
  std::vector<std::string> polygons, circles;
  std::vector<ValuePair> geocodes;
  std::string altitude, ceiling;
  bool operator==(const Area &) const = default;
};
struct Info {
  std::string language;
  std::vector<std::string> categories;
  std::string event;
  std::vector<std::string> responseTypes;
  std::string urgency, severity, certainty, audience;
  std::vector<ValuePair> eventCodes;
  std::string effective, onset, expires, senderName, headline, description, instruction, web, contact;
  std::vector<ValuePair> parameters;
  std::vector<Resource> resources;
  std::vector<Area> areas;
  bool operator==(const Info &) const = default;
};
struct Alert {
  std::string identifier, sender, sent, status, msgType, source, scope, restriction, addresses;
  std::vector<std::string> codes;
  std::string note, references, incidents;
  std::vector<Info> infos;
  std::vector<std::string> signatures;  // enveloped ds:Signature elements, as XML (kept, not verified)
  bool operator==(const Alert &) const = default;
};

inline constexpr std::size_t kMaxDocument = 4u << 20;  // bytes

// Decodes a CAP 1.2 document. Throws Error with the reason (and the line
// where it helps): not XML, a DTD or entity, too large, another namespace
// ("CAP 1.1 is read-only elsewhere; only 1.2 is accepted here").
Alert decode(std::string_view xml);
// XSD errors of a document ("line N: message"); empty when valid.
std::vector<std::string> validateXsd(std::string_view xml);
// What the CAP 1.2 text requires beyond the XSD; empty when none.
std::vector<std::string> validateRules(const Alert &alert);
// CAP 1.2 XML (UTF-8), elements in schema order, empty optional ones left out.
std::string encode(const Alert &alert);

// How many times the XML library asked to load something external (a DTD,
// an entity, an XInclude) since start: always refused; tests check it stays 0.
std::uint64_t externalLoadsRefused();

// Liandong's alert as CAP (GB/T 35965.1 profile). `previous` is the
// "sender,identifier,sent" of the earlier messages of the same alert (the
// first one, then each update), required for an update or a cancel.
struct Origin {
  std::string sender;      // e.g. "centre-440113"
  std::string orgCode;     // 14 digits: region code + organisation; identifier prefix
  std::string regionCode;  // 6 or 9 digits
  std::string regionName;
  std::uint32_t serial = 0;  // distinguishes messages sent in the same second
};
Alert fromLiandong(const wire::Alert &alert, const Origin &origin, std::int64_t sentUs,
                   const std::vector<std::string> &previous = {});
// "sender,identifier,sent" of a message, for the next one's references.
std::string referenceOf(const Alert &alert);

}  // namespace liandong::alerts::cap
