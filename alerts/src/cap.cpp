// CAP 1.2 decode, validate and encode with libxml2 (see cap.h). Every libxml2
// handle is owned by a unique_ptr with its free function.
#include "liandong/alerts/cap.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <atomic>
#include <ctime>
#include <memory>
#include <mutex>
#include <regex>

#include <fmt/format.h>

#include "liandong/alerts/warning.h"
#include "liandong/core/errors.h"

namespace liandong::alerts::cap {

extern const char *const kCap12Xsd;  // generated from alerts/cap/cap12.xsd

namespace {

constexpr const char *kNs = "urn:oasis:names:tc:emergency:cap:1.2";
constexpr const char *kDsigNs = "http://www.w3.org/2000/09/xmldsig#";

struct DocFree {
  void operator()(xmlDoc *d) const { xmlFreeDoc(d); }
};
using Doc = std::unique_ptr<xmlDoc, DocFree>;
struct XmlCharFree {
  void operator()(xmlChar *c) const { xmlFree(c); }
};
struct BufferFree {
  void operator()(xmlBuffer *b) const { xmlBufferFree(b); }
};
struct SchemaParserFree {
  void operator()(xmlSchemaParserCtxt *c) const { xmlSchemaFreeParserCtxt(c); }
};
struct SchemaFree {
  void operator()(xmlSchema *s) const { xmlSchemaFree(s); }
};
struct ValidFree {
  void operator()(xmlSchemaValidCtxt *c) const { xmlSchemaFreeValidCtxt(c); }
};

std::atomic<std::uint64_t> g_externalLoads{0};

// Refuses every external load (DTDs, entities, XInclude) — defence in depth
// behind the parse options, and counted so that tests can prove none happened.
xmlParserInputPtr refuseExternal(const char *url, const char *, xmlParserCtxtPtr ctxt) {
  ++g_externalLoads;
  if (ctxt) xmlCtxtResetLastError(ctxt);
  (void)url;
  return nullptr;
}

void initLibxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(refuseExternal);
  });
}

// Collects libxml2's structured errors as "line N: message".
void collect(void *out, const xmlError *error) {
  if (!error || !error->message) return;
  std::string msg = error->message;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  static_cast<std::vector<std::string> *>(out)->push_back(fmt::format("line {}: {}", error->line, msg));
}
void collectMutable(void *out, xmlError *error) {
  collect(out, error);
}

Doc parse(std::string_view xml, std::vector<std::string> &errors) {
  initLibxml();
  if (xml.size() > kMaxDocument)
    throw Error(
        fmt::format("CAP document of {} bytes is larger than the {} allowed", xml.size(), kMaxDocument));
  xmlSetStructuredErrorFunc(&errors, collectMutable);
  // No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR/DTDVALID,
  // no XINCLUDE; NONET forbids the network even if something asked.
  Doc doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "cap.xml", nullptr,
                        XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOWARNING | XML_PARSE_NOERROR));
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  if (!doc) throw Error("not well-formed XML: " + (errors.empty() ? std::string("?") : errors.front()));
  if (doc->intSubset || doc->extSubset)
    throw Error(
        "refused: the document declares a DTD (external entities and DTDs are never processed in CAP)");
  return doc;
}

std::string text(xmlNode *n) {
  std::unique_ptr<xmlChar, XmlCharFree> c(xmlNodeGetContent(n));
  return c ? reinterpret_cast<const char *>(c.get()) : "";
}

bool is(xmlNode *n, const char *name) {
  return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, reinterpret_cast<const xmlChar *>(name)) == 0;
}

void refuseEntities(xmlNode *n) {
  for (xmlNode *c = n; c; c = c->next) {
    if (c->type == XML_ENTITY_REF_NODE || c->type == XML_ENTITY_DECL)
      throw Error(
          fmt::format("refused: entity reference on line {} (entities are not expanded in CAP)", c->line));
    if (c->children) refuseEntities(c->children);
  }
}

ValuePair pair(xmlNode *n) {
  ValuePair p;
  for (xmlNode *c = n->children; c; c = c->next) {
    if (is(c, "valueName")) p.valueName = text(c);
    if (is(c, "value")) p.value = text(c);
  }
  return p;
}

std::string dump(xmlDoc *doc, xmlNode *n) {
  std::unique_ptr<xmlBuffer, BufferFree> buf(xmlBufferCreate());
  xmlNodeDump(buf.get(), doc, n, 0, 0);
  return reinterpret_cast<const char *>(xmlBufferContent(buf.get()));
}

Info readInfo(xmlNode *n) {
  Info i;
  for (xmlNode *c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    std::string name = reinterpret_cast<const char *>(c->name);
    if (name == "language")
      i.language = text(c);
    else if (name == "category")
      i.categories.push_back(text(c));
    else if (name == "event")
      i.event = text(c);
    else if (name == "responseType")
      i.responseTypes.push_back(text(c));
    else if (name == "urgency")
      i.urgency = text(c);
    else if (name == "severity")
      i.severity = text(c);
    else if (name == "certainty")
      i.certainty = text(c);
    else if (name == "audience")
      i.audience = text(c);
    else if (name == "eventCode")
      i.eventCodes.push_back(pair(c));
    else if (name == "effective")
      i.effective = text(c);
    else if (name == "onset")
      i.onset = text(c);
    else if (name == "expires")
      i.expires = text(c);
    else if (name == "senderName")
      i.senderName = text(c);
    else if (name == "headline")
      i.headline = text(c);
    else if (name == "description")
      i.description = text(c);
    else if (name == "instruction")
      i.instruction = text(c);
    else if (name == "web")
      i.web = text(c);
    else if (name == "contact")
      i.contact = text(c);
    else if (name == "parameter")
      i.parameters.push_back(pair(c));
    else if (name == "resource") {
      Resource r;
      for (xmlNode *d = c->children; d; d = d->next) {
        if (is(d, "resourceDesc")) r.resourceDesc = text(d);
        if (is(d, "mimeType")) r.mimeType = text(d);
        if (is(d, "size")) r.size = text(d);
        if (is(d, "uri")) r.uri = text(d);
        if (is(d, "derefUri")) r.derefUri = text(d);
        if (is(d, "digest")) r.digest = text(d);
      }
      i.resources.push_back(r);
    } else if (name == "area") {
      Area a;
      for (xmlNode *d = c->children; d; d = d->next) {
        if (is(d, "areaDesc")) a.areaDesc = text(d);
        if (is(d, "polygon")) a.polygons.push_back(text(d));
        if (is(d, "circle")) a.circles.push_back(text(d));
        if (is(d, "geocode")) a.geocodes.push_back(pair(d));
        if (is(d, "altitude")) a.altitude = text(d);
        if (is(d, "ceiling")) a.ceiling = text(d);
      }
      i.areas.push_back(a);
    }
  }
  return i;
}

const xmlSchema *schema() {
  static std::unique_ptr<xmlSchema, SchemaFree> s;
  static std::once_flag once;
  std::call_once(once, [] {
    initLibxml();
    std::unique_ptr<xmlSchemaParserCtxt, SchemaParserFree> p(
        xmlSchemaNewMemParserCtxt(kCap12Xsd, static_cast<int>(std::char_traits<char>::length(kCap12Xsd))));
    s.reset(xmlSchemaParse(p.get()));
  });
  if (!s) throw Error("the compiled-in CAP 1.2 schema could not be read");
  return s.get();
}

// Adds <name>value</name> unless the value is empty.
void add(xmlNode *parent, xmlNs *ns, const char *name, const std::string &value, bool always = false) {
  if (value.empty() && !always) return;
  xmlNewTextChild(parent, ns, reinterpret_cast<const xmlChar *>(name),
                  reinterpret_cast<const xmlChar *>(value.c_str()));
}
void addPairs(xmlNode *parent, xmlNs *ns, const char *name, const std::vector<ValuePair> &pairs) {
  for (const auto &p : pairs) {
    auto *n = xmlNewChild(parent, ns, reinterpret_cast<const xmlChar *>(name), nullptr);
    add(n, ns, "valueName", p.valueName, true);
    add(n, ns, "value", p.value, true);
  }
}

std::string isoCst(std::int64_t utcUs) {
  std::time_t t = static_cast<std::time_t>(utcUs / 1000000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
  return buf;
}

}  // namespace

std::uint64_t externalLoadsRefused() {
  return g_externalLoads.load();
}

Alert decode(std::string_view xml) {
  std::vector<std::string> errors;
  auto doc = parse(xml, errors);
  xmlNode *root = xmlDocGetRootElement(doc.get());
  if (!root || !is(root, "alert")) throw Error("not a CAP alert: the root element is not <alert>");
  std::string ns = root->ns && root->ns->href ? reinterpret_cast<const char *>(root->ns->href) : "";
  if (ns != kNs)
    throw Error(
        "not CAP 1.2: namespace \"" + ns + "\"" +
        (ns.find("cap:1.1") != std::string::npos ? " (CAP 1.1 is not accepted; convert to 1.2)" : ""));
  refuseEntities(root);
  Alert a;
  for (xmlNode *c = root->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    std::string name = reinterpret_cast<const char *>(c->name);
    if (c->ns && c->ns->href && xmlStrcmp(c->ns->href, reinterpret_cast<const xmlChar *>(kDsigNs)) == 0) {
      a.signatures.push_back(dump(doc.get(), c));
      continue;
    }
    if (name == "identifier")
      a.identifier = text(c);
    else if (name == "sender")
      a.sender = text(c);
    else if (name == "sent")
      a.sent = text(c);
    else if (name == "status")
      a.status = text(c);
    else if (name == "msgType")
      a.msgType = text(c);
    else if (name == "source")
      a.source = text(c);
    else if (name == "scope")
      a.scope = text(c);
    else if (name == "restriction")
      a.restriction = text(c);
    else if (name == "addresses")
      a.addresses = text(c);
    else if (name == "code")
      a.codes.push_back(text(c));
    else if (name == "note")
      a.note = text(c);
    else if (name == "references")
      a.references = text(c);
    else if (name == "incidents")
      a.incidents = text(c);
    else if (name == "info")
      a.infos.push_back(readInfo(c));
    else
      throw Error(fmt::format("line {}: unknown element <{}> in <alert>", c->line, name));
  }
  return a;
}

std::vector<std::string> validateXsd(std::string_view xml) {
  std::vector<std::string> errors;
  Doc doc;
  try {
    doc = parse(xml, errors);
  } catch (const Error &e) {
    return {e.what()};
  }
  std::unique_ptr<xmlSchemaValidCtxt, ValidFree> v(xmlSchemaNewValidCtxt(const_cast<xmlSchema *>(schema())));
  std::vector<std::string> out;
  xmlSchemaSetValidStructuredErrors(v.get(), collectMutable, &out);
  int rc = xmlSchemaValidateDoc(v.get(), doc.get());
  if (rc != 0 && out.empty()) out.push_back("not valid against the CAP 1.2 schema");
  return out;
}

std::vector<std::string> validateRules(const Alert &a) {
  std::vector<std::string> out;
  auto noSpaceOrComma = [](const std::string &s) {
    return !s.empty() && s.find_first_of(" ,<&\t\n") == std::string::npos;
  };
  if (!noSpaceOrComma(a.identifier))
    out.push_back("identifier \"" + a.identifier + "\" is empty or has spaces or commas");
  if (!noSpaceOrComma(a.sender))
    out.push_back("sender \"" + a.sender + "\" is empty or has spaces or commas");
  static const std::regex dateTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d)");
  if (!std::regex_match(a.sent, dateTime))
    out.push_back("sent \"" + a.sent + "\" is not YYYY-MM-DDThh:mm:ss+hh:mm");
  if (a.msgType == "Update" || a.msgType == "Cancel" || a.msgType == "Ack" || a.msgType == "Error") {
    // references: whitespace-separated "sender,identifier,sent" triples, at least one.
    std::regex triple(R"([^\s,]+,[^\s,]+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d)");
    int n = 0;
    bool bad = false;
    std::size_t at = 0;
    while (at < a.references.size()) {
      auto start = a.references.find_first_not_of(" \t\r\n", at);
      if (start == std::string::npos) break;
      auto end = a.references.find_first_of(" \t\r\n", start);
      auto item = a.references.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (std::regex_match(item, triple))
        ++n;
      else
        bad = true;
      at = end == std::string::npos ? a.references.size() : end;
    }
    if (n == 0 || bad)
      out.push_back("an " + a.msgType + " needs <references> of sender,identifier,sent triples (got \"" +
                    a.references + "\")");
  }
  if (a.scope == "Restricted" && a.restriction.empty())
    out.push_back("scope Restricted needs a <restriction>");
  if (a.scope == "Private" && a.addresses.empty()) out.push_back("scope Private needs <addresses>");
  for (std::size_t i = 0; i < a.infos.size(); ++i)
    for (const auto &area : a.infos[i].areas)
      for (const auto &p : area.polygons) {
        // At least four points, first equals last.
        std::vector<std::string> pts;
        std::size_t at = 0;
        while (at < p.size()) {
          auto start = p.find_first_not_of(" \t\r\n", at);
          if (start == std::string::npos) break;
          auto end = p.find_first_of(" \t\r\n", start);
          pts.push_back(p.substr(start, end == std::string::npos ? std::string::npos : end - start));
          at = end == std::string::npos ? p.size() : end;
        }
        if (pts.size() < 4 || pts.front() != pts.back())
          out.push_back(fmt::format("info {}: polygon \"{}\" is not closed with at least 4 points", i, p));
      }
  return out;
}

std::string encode(const Alert &a) {
  initLibxml();
  Doc doc(xmlNewDoc(reinterpret_cast<const xmlChar *>("1.0")));
  xmlNode *root = xmlNewNode(nullptr, reinterpret_cast<const xmlChar *>("alert"));
  xmlNs *ns = xmlNewNs(root, reinterpret_cast<const xmlChar *>(kNs), nullptr);
  xmlSetNs(root, ns);
  xmlDocSetRootElement(doc.get(), root);
  add(root, ns, "identifier", a.identifier, true);
  add(root, ns, "sender", a.sender, true);
  add(root, ns, "sent", a.sent, true);
  add(root, ns, "status", a.status, true);
  add(root, ns, "msgType", a.msgType, true);
  add(root, ns, "source", a.source);
  add(root, ns, "scope", a.scope, true);
  add(root, ns, "restriction", a.restriction);
  add(root, ns, "addresses", a.addresses);
  for (const auto &c : a.codes) add(root, ns, "code", c, true);
  add(root, ns, "note", a.note);
  add(root, ns, "references", a.references);
  add(root, ns, "incidents", a.incidents);
  for (const auto &i : a.infos) {
    auto *n = xmlNewChild(root, ns, reinterpret_cast<const xmlChar *>("info"), nullptr);
    add(n, ns, "language", i.language);
    for (const auto &c : i.categories) add(n, ns, "category", c, true);
    add(n, ns, "event", i.event, true);
    for (const auto &r : i.responseTypes) add(n, ns, "responseType", r, true);
    add(n, ns, "urgency", i.urgency, true);
    add(n, ns, "severity", i.severity, true);
    add(n, ns, "certainty", i.certainty, true);
    add(n, ns, "audience", i.audience);
    addPairs(n, ns, "eventCode", i.eventCodes);
    add(n, ns, "effective", i.effective);
    add(n, ns, "onset", i.onset);
    add(n, ns, "expires", i.expires);
    add(n, ns, "senderName", i.senderName);
    add(n, ns, "headline", i.headline);
    add(n, ns, "description", i.description);
    add(n, ns, "instruction", i.instruction);
    add(n, ns, "web", i.web);
    add(n, ns, "contact", i.contact);
    addPairs(n, ns, "parameter", i.parameters);
    for (const auto &r : i.resources) {
      auto *rn = xmlNewChild(n, ns, reinterpret_cast<const xmlChar *>("resource"), nullptr);
      add(rn, ns, "resourceDesc", r.resourceDesc, true);
      add(rn, ns, "mimeType", r.mimeType, true);
      add(rn, ns, "size", r.size);
      add(rn, ns, "uri", r.uri);
      add(rn, ns, "derefUri", r.derefUri);
      add(rn, ns, "digest", r.digest);
    }
    for (const auto &ar : i.areas) {
      auto *an = xmlNewChild(n, ns, reinterpret_cast<const xmlChar *>("area"), nullptr);
      add(an, ns, "areaDesc", ar.areaDesc, true);
      for (const auto &p : ar.polygons) add(an, ns, "polygon", p, true);
      for (const auto &c : ar.circles) add(an, ns, "circle", c, true);
      addPairs(an, ns, "geocode", ar.geocodes);
      add(an, ns, "altitude", ar.altitude);
      add(an, ns, "ceiling", ar.ceiling);
    }
  }
  for (const auto &sig : a.signatures) {
    // Re-attach each kept signature element as parsed XML.
    xmlNode *list = nullptr;
    if (xmlParseInNodeContext(root, sig.c_str(), static_cast<int>(sig.size()), XML_PARSE_NONET, &list) ==
            XML_ERR_OK &&
        list) {
      xmlAddChildList(root, list);
    } else if (list) {
      xmlFreeNodeList(list);
    }
  }
  xmlChar *out = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc.get(), &out, &size, "UTF-8", 1);
  std::unique_ptr<xmlChar, XmlCharFree> owned(out);
  return std::string(reinterpret_cast<const char *>(out), static_cast<std::size_t>(size));
}

std::string referenceOf(const Alert &a) {
  return a.sender + "," + a.identifier + "," + a.sent;
}

Alert fromLiandong(const wire::Alert &alert, const Origin &origin, std::int64_t sentUs,
                   const std::vector<std::string> &previous) {
  Alert a;
  std::time_t t = static_cast<std::time_t>(sentUs / 1000000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[20];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  // GB/T 35965.1 identifier: the sender's organisation code, "_", the send time
  // (plus a serial: several messages can leave in one second).
  a.identifier = fmt::format("{}_{}{:04}", origin.orgCode, stamp, origin.serial % 10000);
  a.sender = origin.sender;
  a.sent = isoCst(sentUs);
  a.status = "Actual";
  a.msgType = alert.cleared() ? "Cancel" : previous.empty() ? "Alert" : "Update";
  a.scope = "Public";
  for (const auto &p : previous) a.references += (a.references.empty() ? "" : " ") + p;
  a.incidents = alert.alert_id();
  std::string code12 = origin.regionCode;
  code12.resize(12, '0');
  auto colourZh = colourName(alert.colour(), true), colourEn = colourName(alert.colour(), false);
  for (bool zh : {true, false}) {
    Info i;
    i.language = zh ? "zh-CN" : "en-US";
    i.categories = {"Met"};
    i.event = zh ? "水情预警" : "Hydrological warning";
    i.responseTypes = {alert.cleared() ? "AllClear" : "Monitor"};
    i.urgency = alert.cleared() ? "Past" : "Expected";
    i.severity = alert.colour() == wire::COLOUR_NONE ? "Unknown" : capSeverity(alert.colour());
    i.certainty = "Observed";
    i.eventCodes = {{"LIANDONG_RULE", alert.rule_id()}};
    i.onset = isoCst(alert.onset_at_us());
    i.senderName = origin.sender;
    i.headline =
        zh ? alert.headline()
           : fmt::format("{} warning{} ({})", colourEn, alert.cleared() ? " lifted" : "", alert.rule_id());
    i.description = alert.description();
    if (alert.suggested_level() != wire::LEVEL_NONE)
      i.parameters.push_back(
          {zh ? "建议响应级别" : "SuggestedResponseLevel", levelName(alert.suggested_level(), zh)});
    i.parameters.push_back({zh ? "预警颜色" : "WarningColour", zh ? colourZh : colourEn});
    Area area;
    area.areaDesc = origin.regionName.empty() ? origin.regionCode : origin.regionName;
    area.geocodes = {{"CPEAS Geographic Code", code12}};
    if (alert.latitude() != 0 || alert.longitude() != 0)
      area.circles.push_back(fmt::format("{:.6f},{:.6f} 0", alert.latitude(), alert.longitude()));
    i.areas.push_back(area);
    a.infos.push_back(i);
  }
  return a;
}

}  // namespace liandong::alerts::cap
