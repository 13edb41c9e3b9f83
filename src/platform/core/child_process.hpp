// Starting another program (an `ordo` child for the bench, the end-to-end tests, launchers) with
// its output in a file, and reading how it ended.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ordo::core {

// Starts args[0] with args; stdin from /dev/null, stdout and stderr appended to output_file.
// Throws std::runtime_error when it cannot be started.
pid_t spawn_process(const std::vector<std::string>& args, const std::string& output_file);
// A waitpid status as an exit code, or minus the signal that ended the process.
int exit_code_of(int wait_status);
// A whole text file ("" when it cannot be read).
std::string read_text_file(const std::string& path);

}  // namespace ordo::core
