//! The sandbox: no file, network or process access (Rhai has none and the module resolver only
//! knows bundled modules), no `eval`, and bounded operations, memory and depth.

use super::sandbox::{self, MAX_OPERATIONS, MAX_PADDED_LEN, MAX_STRING_CHARS};
use super::{api, PolicyError, BUILTIN_LIBS};
use crate::escape::escape_line;
use rhai::module_resolvers::StaticModuleResolver;
use rhai::{
    Array, Blob, CallFnOptions, Dynamic, Engine, EvalAltResult, ImmutableString, Position, Scope,
    AST,
};

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
        .set_fail_on_invalid_map_property(true);
    engine.disable_symbol("eval");
    // No Rhai data-size limit (string, array or map): with any of them set, Rhai re-measures a
    // whole array after every call that changes it, so building a list is quadratic (measured:
    // 30,000 related locations took over a second). Memory, time and operations are bounded by
    // the sandbox instead, and the natives that could allocate far more than the script holds
    // in one call are bounded here.
    engine.on_progress(sandbox::on_progress);
    register_bounded_natives(&mut engine);
    engine.on_print(|s| {
        PRINTED.store(true, std::sync::atomic::Ordering::Relaxed);
        eprintln!("{}", escape_line(s))
    });
    engine.on_debug(|s, _, pos| {
        PRINTED.store(true, std::sync::atomic::Ordering::Relaxed);
        eprintln!("debug {pos}: {}", escape_line(s))
    });
    api::register(&mut engine);
    engine
}

/// Set when a policy's `print` or `debug` wrote to standard error: output a cache cannot replay,
/// so such a run is never stored (`check --cache`).
pub static PRINTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn too_large(what: &str) -> Box<EvalAltResult> {
    EvalAltResult::ErrorDataTooLarge(what.into(), Position::NONE).into()
}

fn padded_len(len: i64, what: &str) -> Result<usize, Box<EvalAltResult>> {
    if len > MAX_PADDED_LEN {
        return Err(too_large(what));
    }
    Ok(len.max(0) as usize)
}

/// Natives that could allocate far more than the script holds in one call, before the sandbox
/// gets to look: `pad`, `blob` (a length given by the script: `blob(100000000000)` aborted the
/// process), `replace` (occurrences × replacement) and the splits (a value per character). These
/// replace Rhai's own with the same behaviour, and refuse results past the sandbox's sizes.
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
        })
        .register_fn("pad", |s: &mut ImmutableString, len: i64, c: char| {
            pad_string(s, len, &c.to_string())
        })
        .register_fn(
            "pad",
            |s: &mut ImmutableString, len: i64, padding: ImmutableString| {
                pad_string(s, len, &padding)
            },
        )
        .register_fn(
            "replace",
            |s: &mut ImmutableString, find: ImmutableString, with: ImmutableString| {
                replace_bounded(s, &find, &with)
            },
        )
        .register_fn(
            "replace",
            |s: &mut ImmutableString, find: ImmutableString, with: char| {
                replace_bounded(s, &find, &with.to_string())
            },
        )
        .register_fn(
            "replace",
            |s: &mut ImmutableString, find: char, with: ImmutableString| {
                replace_bounded(s, &find.to_string(), &with)
            },
        )
        .register_fn(
            "replace",
            |s: &mut ImmutableString, find: char, with: char| {
                replace_bounded(s, &find.to_string(), &with.to_string())
            },
        )
        .register_fn("to_chars", |s: &str| {
            pieces(s.chars().count())?;
            Ok::<Array, Box<EvalAltResult>>(s.chars().map(Dynamic::from).collect())
        })
        .register_fn("split", |s: &mut ImmutableString| {
            if s.is_empty() {
                return Ok(vec![Dynamic::from(s.clone())]);
            }
            pieces(s.split_whitespace().count())?;
            Ok::<Array, Box<EvalAltResult>>(s.split_whitespace().map(piece).collect())
        })
        .register_fn("split", |s: &mut ImmutableString, d: ImmutableString| {
            split_bounded(s, &d, None, false)
        })
        .register_fn(
            "split",
            |s: &mut ImmutableString, d: ImmutableString, n: i64| {
                split_bounded(s, &d, Some(n), false)
            },
        )
        .register_fn("split", |s: &mut ImmutableString, d: char| {
            split_bounded(s, &d.to_string(), None, false)
        })
        .register_fn("split", |s: &mut ImmutableString, d: char, n: i64| {
            split_bounded(s, &d.to_string(), Some(n), false)
        })
        .register_fn(
            "split_rev",
            |s: &mut ImmutableString, d: ImmutableString| split_bounded(s, &d, None, true),
        )
        .register_fn(
            "split_rev",
            |s: &mut ImmutableString, d: ImmutableString, n: i64| {
                split_bounded(s, &d, Some(n), true)
            },
        )
        .register_fn("split_rev", |s: &mut ImmutableString, d: char| {
            split_bounded(s, &d.to_string(), None, true)
        })
        .register_fn("split_rev", |s: &mut ImmutableString, d: char, n: i64| {
            split_bounded(s, &d.to_string(), Some(n), true)
        });
}

/// `pad` for strings, as Rhai's (pad to `len` characters with repeats of `padding`, the last one
/// cut), but refusing more than the longest string a policy may build, and doing nothing with
/// an empty padding (Rhai's loops forever on it, uninterruptibly).
fn pad_string(s: &mut ImmutableString, len: i64, padding: &str) -> Result<(), Box<EvalAltResult>> {
    if len <= 0 || padding.is_empty() {
        return Ok(());
    }
    if len as u64 > MAX_STRING_CHARS as u64 {
        return Err(too_large("string"));
    }
    let len = len as usize;
    let count = s.chars().count();
    if len <= count {
        return Ok(());
    }
    s.make_mut()
        .extend(padding.chars().cycle().take(len - count));
    Ok(())
}

/// `replace`, refusing a result longer than the longest string a policy may build (counted
/// before it is built: a 1 MB string with each character replaced by 1 MB would be a terabyte).
fn replace_bounded(
    s: &mut ImmutableString,
    find: &str,
    with: &str,
) -> Result<(), Box<EvalAltResult>> {
    if s.is_empty() {
        return Ok(());
    }
    let occurrences = if find.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(find).count()
    };
    let len = (s.len() - occurrences.min(s.len()) * find.len().min(s.len()))
        .saturating_add(occurrences.saturating_mul(with.len()));
    if len > MAX_STRING_CHARS {
        return Err(too_large("string"));
    }
    *s = s.replace(find, with).into();
    Ok(())
}

fn piece(p: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(p))
}

/// Refuses an array of more than the longest padded array a policy may build.
fn pieces(count: usize) -> Result<(), Box<EvalAltResult>> {
    if count as u64 > MAX_PADDED_LEN as u64 {
        return Err(too_large("array"));
    }
    Ok(())
}

/// `split` / `split_rev` as Rhai's (the whole string when the delimiter does not occur; at most
/// `n` pieces when given), with the number of pieces bounded first.
fn split_bounded(
    s: &mut ImmutableString,
    delimiter: &str,
    n: Option<i64>,
    reverse: bool,
) -> Result<Array, Box<EvalAltResult>> {
    let whole = || Ok(vec![Dynamic::from(s.clone())]);
    if s.is_empty() || (!delimiter.is_empty() && !s.contains(delimiter)) {
        return whole();
    }
    let limit = match n {
        Some(n) if n <= 1 => return whole(),
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => usize::MAX,
    };
    let count = if delimiter.is_empty() {
        s.chars().count() + 2
    } else {
        s.matches(delimiter).count() + 1
    };
    pieces(count.min(limit))?;
    let text: &str = s.as_str();
    Ok(match (n.is_some(), reverse) {
        (false, false) => text.split(delimiter).map(piece).collect(),
        (false, true) => text.rsplit(delimiter).map(piece).collect(),
        (true, false) => text.splitn(limit, delimiter).map(piece).collect(),
        (true, true) => text.rsplitn(limit, delimiter).map(piece).collect(),
    })
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
    super::suggest::init(&engine);
    Ok(engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(script: &str) -> Result<String, String> {
        let engine = engine();
        sandbox::guarded(|| engine.eval::<Dynamic>(script))
            .map(|v| v.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn bounded_natives_behave_as_rhai_documents() {
        // The examples of Rhai's own documentation of these functions.
        let cases = [
            (r#"let t = "hello"; t.pad(8, '!'); t"#, "hello!!!"),
            (r#"let t = "hello!!!"; t.pad(5, '*'); t"#, "hello!!!"),
            (r#"let t = "hello"; t.pad(10, "<>"); t"#, "hello<><><"),
            (r#"let t = "hello"; t.pad(10, ""); t"#, "hello"),
            (
                r#"let t = "hello, world! hello, foobar!"; t.replace("hello", "hey"); t"#,
                "hey, world! hey, foobar!",
            ),
            (
                r#"let t = "hello, world! hello, foobar!"; t.replace("hello", '*'); t"#,
                "*, world! *, foobar!",
            ),
            (
                r#"let t = "hello, world! hello, foobar!"; t.replace('l', "(^)"); t"#,
                "he(^)(^)o, wor(^)d! he(^)(^)o, foobar!",
            ),
            (r#"let t = "hello"; t.replace('l', '*'); t"#, "he**o"),
            (r#"let t = "ab"; t.replace("", "-"); t"#, "-a-b-"),
            (r#""a,b,c".split(",")"#, r#"["a", "b", "c"]"#),
            (r#""a,b,c".split(',')"#, r#"["a", "b", "c"]"#),
            (r#""a,b,c".split(",", 2)"#, r#"["a", "b,c"]"#),
            (r#""a,b,c".split(',', 1)"#, r#"["a,b,c"]"#),
            (r#""a,b,c".split_rev(",")"#, r#"["c", "b", "a"]"#),
            (r#""a,b,c".split_rev(',', 2)"#, r#"["c", "a,b"]"#),
            (r#""abc".split("")"#, r#"["", "a", "b", "c", ""]"#),
            (r#""abc".split("x")"#, r#"["abc"]"#),
            (r#""".split(",")"#, r#"[""]"#),
            (r#""a  b c ".split()"#, r#"["a", "b", "c"]"#),
            (r#""héllo".to_chars()"#, "['h', 'é', 'l', 'l', 'o']"),
            (r#"let a = [1]; a.pad(3, 0); a"#, "[1, 0, 0]"),
            (r#"blob(3, 7)"#, "[070707]"),
        ];
        for (script, expected) in cases {
            assert_eq!(eval(script).as_deref(), Ok(expected), "{script}");
        }
    }

    #[test]
    fn bounded_natives_refuse_what_would_not_fit() {
        for script in [
            r#"let s = "x"; s.pad(1000000000, "y");"#,
            r#"let s = "x"; s.pad(20000000, 'y');"#,
            // 100,000 occurrences × 1,000 characters: 100 MB in one call.
            r#"let s = "x"; s.pad(100000, 'x'); let w = "y"; w.pad(1000, 'y'); s.replace("x", w);"#,
            r#"let s = "x"; s.pad(2000000, 'x'); s.to_chars()"#,
            r#"let s = ","; s.pad(2000000, ','); s.split(",")"#,
            r#"let s = "x"; s.pad(2000000, 'x'); s.split("")"#,
            r#"let a = []; a.pad(2000000000, 0);"#,
            "blob(100000000000)",
        ] {
            let error = eval(script).expect_err(script);
            assert!(
                error.contains("too large") || error.contains("Data"),
                "{script}: {error}"
            );
        }
    }
}
