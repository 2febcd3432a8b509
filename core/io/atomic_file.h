// Whole-file reads and crash-safe writes. Every file the engine produces
// (checkpoints, sample grids) goes through write_file_atomic so that a crash,
// a full disk or a kill in the middle of a write never leaves a half-written
// file in place of a good one: readers see either the old file or the new one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gan::io {

// Writes `size` bytes to `path` atomically: the data goes to a temporary file
// in the same directory, is fsync'ed, and is then renamed over `path`. On any
// failure the temporary file is removed, `path` is left untouched, and IoError
// is thrown naming the file and the system's reason (strerror text).
// The new file gets the default permissions (0666 minus the umask).
void write_file_atomic(const std::string& path, const void* data, size_t size);

// Reads a whole file into memory. IoError (with the system's reason) if it
// cannot be opened or read, or if `path` is a directory.
std::vector<uint8_t> read_file(const std::string& path);

// Creates `dir` (and its parents) if missing, then proves it is writable by
// creating and removing a probe file. IoError with the reason otherwise.
// Call it before long work whose output would otherwise be lost at the end.
void check_writable_dir(const std::string& dir);

}  // namespace gan::io
