// Small string helpers every module uses: the first line of a message (for
// one-line errors), SHA-256 as hex (migrations, session tokens), and the
// masking of credentials before anything reaches a log, an event or a peer.
#pragma once

#include <string>
#include <string_view>

namespace liandong {

// Everything before the first '\n' (the whole text when there is none).
std::string firstLine(std::string_view text);

// Lower-case hexadecimal SHA-256 of `bytes` (libsodium).
std::string sha256Hex(std::string_view bytes);

// Masks the user information of every URL in `text`:
// "pull rtsp://admin:secret@10.0.0.5/x failed" -> "pull rtsp://***@10.0.0.5/x failed".
std::string redactCredentials(const std::string &text);

// Masks the password of a libpq connection string, in key=value form
// (password=... or password='...') and in URL form (postgresql://u:p@h/db).
std::string redactConninfo(const std::string &conninfo);

}  // namespace liandong
