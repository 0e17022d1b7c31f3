//! `array.contains(string)` and `string in array`, with Rhai's own answer but without its cost.
//!
//! Rhai's generic `contains` (which also drives `in`) compares every element through a dynamic
//! call of `==` with a fresh clone of the value: about 0.2 µs an element. Rules test words and
//! permission names against option lists of dozens of strings thousands of times a run, so on a
//! 4,000-file org that generic path was half of `permission-set-vague-name`'s time. This overload
//! is picked by Rhai whenever the value is a string (an exact-type match wins over the generic
//! `Dynamic` one); a string element is compared directly, and any other element goes through
//! `==` exactly as Rhai would compare it, so the answer never differs.

use super::RhaiResult;
use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, NativeCallContext, OP_EQUALS};

fn contains_string(
    ctx: NativeCallContext,
    array: &mut Array,
    value: ImmutableString,
) -> RhaiResult<bool> {
    for item in array.iter_mut() {
        let as_string = item.as_immutable_string_ref().map(|s| *s == value).ok();
        let equal = match as_string {
            Some(equal) => equal,
            None => equals_as_rhai_does(&ctx, item, &value)?,
        };
        if equal {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Rhai's own comparison of a non-string element with the string: its `==` when one is defined
/// (a `char` equals a one-character string), `false` when none is (the types differ).
fn equals_as_rhai_does(
    ctx: &NativeCallContext,
    item: &mut Dynamic,
    value: &ImmutableString,
) -> RhaiResult<bool> {
    let mut value = Dynamic::from(value.clone());
    match ctx.call_native_fn_raw(OP_EQUALS, true, &mut [item, &mut value]) {
        Ok(result) => Ok(result.as_bool().unwrap_or(false)),
        Err(err) if matches!(*err, EvalAltResult::ErrorFunctionNotFound(ref sig, ..) if sig.starts_with(OP_EQUALS)) => {
            Ok(false)
        }
        Err(err) => Err(err),
    }
}

pub(super) fn register(engine: &mut Engine) {
    engine.register_fn("contains", contains_string);
}

#[cfg(test)]
mod tests {
    use rhai::Engine;

    /// The same script with Rhai's generic `contains` and with the overload.
    fn both(script: &str) -> (bool, bool) {
        let generic = Engine::new().eval::<bool>(script).unwrap();
        let mut engine = Engine::new();
        super::register(&mut engine);
        (generic, engine.eval::<bool>(script).unwrap())
    }

    #[test]
    fn answers_as_rhais_generic_contains_does() {
        let cases = [
            (r#"["api", "full"].contains("full")"#, true),
            (r#"["api", "full"].contains("Full")"#, false),
            (r#""api" in ["api", "full"]"#, true),
            (r#""" in ["api", ""]"#, true),
            (r#""" in []"#, false),
            // Elements of other types: Rhai's own `==` decides.
            (r#""a" in ['a', 1]"#, true),
            (r#""ab" in ['a', 1]"#, false),
            (r#""1" in [1, 1.0, true, (), #{}, [1]]"#, false),
            (r#"let s = "x"; let f = || s; "x" in [s]"#, true),
        ];
        for (script, expected) in cases {
            assert_eq!(both(script), (expected, expected), "{script}");
        }
    }

    #[test]
    fn rhai_picks_an_array_string_overload_for_both_spellings() {
        // If Rhai stopped preferring the exact-type overload, the answers would stay right but
        // the cost would silently come back: a stand-in that always answers true shows the pick.
        let mut engine = Engine::new();
        engine.register_fn(
            "contains",
            |_: &mut rhai::Array, _: rhai::ImmutableString| true,
        );
        assert!(engine.eval::<bool>(r#"["x"].contains("z")"#).unwrap());
        assert!(engine.eval::<bool>(r#""z" in ["x"]"#).unwrap());
        assert!(engine
            .eval::<bool>(r#"let a = ["x"]; let f = || a; "z" in a"#)
            .unwrap());
        // A value of another type still reaches Rhai's generic `contains`.
        assert!(!engine.eval::<bool>(r#"2 in [1]"#).unwrap());
    }
}
