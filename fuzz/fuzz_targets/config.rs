//! The config and register loaders: any text is a config (or register) or an error located
//! inside it; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sfpolicy::config::{register::Register, Config};

fuzz_target!(|text: &str| {
    if let Err(error) = Config::parse(text) {
        assert!(error.span.start <= error.span.end && error.span.end <= text.len());
    }
    if let Err(error) = Register::parse(text) {
        assert!(error.span.start <= error.span.end && error.span.end <= text.len());
    }
});
