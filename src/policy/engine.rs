//! The sandbox: no file, network or process access (Rhai has none and the module resolver only
//! knows bundled modules), no `eval`, and bounded operations, memory and depth.

use super::sandbox::{self, MAX_OPERATIONS, MAX_PADDED_LEN, MAX_STRING_CHARS};
use super::{api, PolicyError, BUILTIN_LIBS};
use crate::escape::escape_line;
use rhai::module_resolvers::StaticModuleResolver;
use rhai::{Array, Blob, CallFnOptions, Dynamic, Engine, EvalAltResult, Position, Scope, AST};

/// The sandboxed engine: no file, network or process access (Rhai has none and the module
/// resolver only knows bundled modules), no `eval`, and bounded operations, sizes and depth.
pub fn engine() -> Engine {
    engine_with_libs(&[]).expect("the built-in helper modules compile")
}

fn base_engine() -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_strings_interned(0)
        .set_module_resolver(StaticModuleResolver::new())
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(64)
        .set_max_expr_depths(128, 64)
        .set_max_modules(64)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        // Checked before a string is built (`pad` included): cheap, unlike array limits.
        .set_max_string_size(MAX_STRING_CHARS);
    engine.disable_symbol("eval");
    // Rhai's array and map limits re-measure whole arrays on every change (quadratic): memory,
    // time and operations are bounded by the sandbox instead, and the natives that allocate a
    // size given by the script are bounded here.
    engine.on_progress(sandbox::on_progress);
    register_bounded_natives(&mut engine);
    engine.on_print(|s| eprintln!("{}", escape_line(s)));
    engine.on_debug(|s, _, pos| eprintln!("debug {pos}: {}", escape_line(s)));
    api::register(&mut engine);
    engine
}

fn too_large(what: &str) -> Box<EvalAltResult> {
    EvalAltResult::ErrorDataTooLarge(what.into(), Position::NONE).into()
}

fn padded_len(len: i64, what: &str) -> Result<usize, Box<EvalAltResult>> {
    if len > MAX_PADDED_LEN {
        return Err(too_large(what));
    }
    Ok(len.max(0) as usize)
}

/// `pad` and `blob` allocate whatever length the script asks for, in one native call: without a
/// bound a single `blob(100000000000)` aborts the process. These replace Rhai's own.
fn register_bounded_natives(engine: &mut Engine) {
    engine
        .register_fn("pad", |a: &mut Array, len: i64, item: Dynamic| {
            let len = padded_len(len, "array")?;
            if len > a.len() {
                a.resize(len, item);
            }
            Ok::<(), Box<EvalAltResult>>(())
        })
        .register_fn("pad", |b: &mut Blob, len: i64, value: i64| {
            let len = padded_len(len, "blob")?;
            if len > b.len() {
                b.resize(len, value as u8);
            }
            Ok::<(), Box<EvalAltResult>>(())
        })
        .register_fn("blob", |len: i64| {
            Ok::<Blob, Box<EvalAltResult>>(vec![0; padded_len(len, "blob")?])
        })
        .register_fn("blob", |len: i64, value: i64| {
            Ok::<Blob, Box<EvalAltResult>>(vec![value as u8; padded_len(len, "blob")?])
        });
}

thread_local! {
    /// The last step of a re-run: its position and the script it is in (a helper module's path
    /// when the step is inside one).
    static LAST_STEP: std::cell::RefCell<(Position, Option<String>)> =
        const { std::cell::RefCell::new((Position::NONE, None)) };
}

/// What a locator needs to re-run a call like the engine that failed it: the helper modules.
/// An engine's default tag indexes its entry. (A debugger on the main engine would record every
/// step of every call: measured, it made the policies three times slower.)
struct Locator {
    modules: Vec<(String, rhai::Shared<rhai::Module>)>,
    engine: std::sync::OnceLock<Engine>,
}

static LOCATORS: std::sync::Mutex<Vec<std::sync::Arc<Locator>>> = std::sync::Mutex::new(Vec::new());

fn remember_modules(engine: &mut Engine, modules: Vec<(String, rhai::Shared<rhai::Module>)>) {
    let mut locators = LOCATORS.lock().unwrap_or_else(|e| e.into_inner());
    engine.set_default_tag(locators.len() as i64);
    locators.push(std::sync::Arc::new(Locator {
        modules,
        engine: std::sync::OnceLock::new(),
    }));
}

/// The engine that re-runs failed calls of `engine`, stepping: same API and helper modules, and
/// a debugger that records each step. Built on first use (the error path only).
#[allow(deprecated)] // Rhai marks its debugger API volatile, not deprecated.
fn locator_for(engine: &Engine) -> Option<std::sync::Arc<Locator>> {
    let index = engine.default_tag().as_int().ok()? as usize;
    let locator = LOCATORS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(index)?
        .clone();
    locator.engine.get_or_init(|| {
        use rhai::debugger::{DebuggerCommand, DebuggerEvent};
        let mut engine = base_engine();
        let mut resolver = StaticModuleResolver::new();
        for (name, module) in &locator.modules {
            engine.register_static_module(name.as_str(), module.clone());
            resolver.insert(name.clone(), (**module).clone());
        }
        engine.set_module_resolver(resolver);
        engine.register_debugger(
            |_, debugger| debugger,
            |_, event, _, source, pos| {
                if matches!(event, DebuggerEvent::Step) && !pos.is_none() {
                    LAST_STEP.with(|s| *s.borrow_mut() = (pos, source.map(str::to_string)));
                }
                Ok(DebuggerCommand::StepInto)
            },
        );
        engine
    });
    Some(locator)
}

/// Where a call that hit a limit was: re-run it stepping, with a small budget of its own
/// (stepping is slow, and each step of a loop that grows a value slower still), and return the
/// last step reached — its position, and the helper module it is in, if any. Only used on the
/// error path.
pub(super) fn locate_limit(
    engine: &Engine,
    ast: &AST,
    name: &str,
    args: impl rhai::FuncArgs,
) -> Option<(Position, Option<String>)> {
    let locator = locator_for(engine)?;
    let stepping = locator.engine.get()?;
    LAST_STEP.with(|s| *s.borrow_mut() = (Position::NONE, None));
    let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
    let _ = sandbox::guarded_with(sandbox::MAX_CALL_TIME / 4, sandbox::MAX_MEMORY / 8, || {
        stepping.call_fn_with_options::<Dynamic>(options, &mut Scope::new(), ast, name, args)
    });
    let _ = api::drain_reported();
    let (pos, source) = LAST_STEP.with(|s| s.take());
    (!pos.is_none()).then_some((pos, source))
}

/// The engine with helper modules: built-in `rules/lib/*.rhai` and each policy folder's
/// `lib/*.rhai`, by file stem. Scripts call them as `text::words(x)` (registered as static
/// modules), or `import "text" as t;` inside a function. Nothing is read at run time.
pub fn engine_with_libs(dirs: &[std::path::PathBuf]) -> Result<Engine, PolicyError> {
    let mut engine = base_engine();
    let mut sources: Vec<(String, String, String)> = BUILTIN_LIBS
        .iter()
        .map(|(name, src)| {
            (
                name.to_string(),
                format!("rules/lib/{name}.rhai"),
                src.to_string(),
            )
        })
        .collect();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("lib")) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.retain(|p| p.extension().is_some_and(|x| x == "rhai"));
        paths.sort();
        for p in paths {
            let origin = p.display().to_string();
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let source = crate::source::read_to_string(&p).map_err(|e| {
                PolicyError::at(&origin, Position::NONE, format!("cannot read: {e}"))
            })?;
            if let Some((_, other, existing)) = sources.iter().find(|(n, ..)| *n == name) {
                if *existing == source {
                    continue; // the built-in folder itself (`sfpolicy test rules`)
                }
                return Err(PolicyError::at(
                    &origin,
                    Position::NONE,
                    format!("helper module `{name}` is already defined by {other}"),
                ));
            }
            sources.push((name, origin, source));
        }
    }
    let mut resolver = StaticModuleResolver::new();
    let mut modules = Vec::new();
    for (name, origin, source) in sources {
        let mut ast = engine
            .compile(&source)
            .map_err(|e| PolicyError::at(&origin, e.position(), e.err_type().to_string()))?;
        // Errors inside the module's functions name it (`ErrorInFunctionCall`'s source).
        ast.set_source(origin.as_str());
        let module =
            sandbox::guarded(|| rhai::Module::eval_ast_as_new(Scope::new(), &ast, &engine))
                .map_err(|e| PolicyError::from_eval(&origin, &e))?;
        let module = rhai::Shared::new(module);
        engine.register_static_module(name.as_str(), module.clone());
        resolver.insert(name.clone(), (*module).clone());
        modules.push((name, module));
    }
    engine.set_module_resolver(resolver);
    remember_modules(&mut engine, modules);
    Ok(engine)
}
