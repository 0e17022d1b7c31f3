//! The `sfpolicy` binary: the command line lives in `sfpolicy::cli`.

#[global_allocator]
static ALLOCATOR: sfpolicy::alloc::CountingAlloc = sfpolicy::alloc::CountingAlloc;

fn main() -> std::process::ExitCode {
    sfpolicy::cli::main()
}
