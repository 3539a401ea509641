//! kill(2) and /proc: the few process controls the host needs (Linux).

unsafe extern "C" {
    /// libc's kill(2); std links libc already.
    #[link_name = "kill"]
    safe fn kill_2(pid: i32, sig: i32) -> i32;
}

// Linux's numbers on x86_64 and aarch64 (asm-generic).
const SIGKILL: i32 = 9;
const SIGCONT: i32 = 18;
const SIGSTOP: i32 = 19;

fn send(pid: u32, sig: i32) -> bool {
    kill_2(pid as i32, sig) == 0
}

/// SIGSTOP: every thread of the process stops where it is.
pub fn stop(pid: u32) -> bool {
    send(pid, SIGSTOP)
}

/// SIGCONT.
pub fn resume(pid: u32) -> bool {
    send(pid, SIGCONT)
}

/// SIGKILL (a stopped process dies of it too).
pub fn kill(pid: u32) -> bool {
    send(pid, SIGKILL)
}

/// The state letter of `/proc/<pid>/stat` (`R` running, `S` sleeping, `T`
/// stopped, `Z` zombie…), `None` once the process is gone.
pub fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) S …`: comm may hold spaces and parentheses; the state
    // follows the last `)`.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}
