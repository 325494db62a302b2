//! Test support, by concern: the emulator and a fresh account per test, seeding a
//! chain into it, the fault proxy between the binary and the emulator, and the
//! Lambda face (the binary behind a real Lambda runtime API).
#![allow(dead_code)]

pub mod emulator;
pub mod fault_proxy;
pub mod lambda;
pub mod seed;
pub mod template;

pub use emulator::*;
