package dev.pitlane.flink.common;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * JSON text as JavaScript's JSON.stringify writes it, so the same value has the same
 * bytes from both engines (the comparator reads values, and a byte-identical value is
 * the strongest "same"). Java's Double.toString differs from JavaScript's Number
 * formatting (150.0 vs 150, 1.0E-4 vs 0.0001, and JDK 17 is not always shortest).
 */
public final class JsJson {
    private JsJson() {}

    /** ECMAScript Number::toString of a double, as JSON.stringify uses it (NaN and infinities are null). */
    public static String number(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return "null";
        if (x == 0) return "0";
        if (x < 0) return "-" + number(-x);
        BigDecimal shortest = shortest(x);
        BigInteger unscaled = shortest.unscaledValue();
        String s = unscaled.toString();
        int k = s.length();
        // x = 0.s × 10^n
        int n = k - shortest.scale();
        if (k <= n && n <= 21) return s + "0".repeat(n - k);
        if (0 < n && n <= 21) return s.substring(0, n) + "." + s.substring(n);
        if (-6 < n && n <= 0) return "0." + "0".repeat(-n) + s;
        int e = n - 1;
        String exp = "e" + (e < 0 ? "-" : "+") + Math.abs(e);
        return k == 1 ? s + exp : s.charAt(0) + "." + s.substring(1) + exp;
    }

    /**
     * The decimal with the fewest digits that reads back as x; of two such, the nearer
     * to x, and of two as near, the one with an even last digit (the ECMAScript rule).
     * Both neighbours are tried: at a power of two the nearer one may not read back.
     */
    static BigDecimal shortest(double x) {
        BigDecimal exact = new BigDecimal(x);
        for (int p = 1; p <= 17; p++) {
            BigDecimal best = null;
            for (RoundingMode m : new RoundingMode[] {RoundingMode.HALF_EVEN, RoundingMode.FLOOR, RoundingMode.CEILING}) {
                BigDecimal c = exact.round(new MathContext(p, m));
                if (c.doubleValue() != x) continue;
                if (best == null || c.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0) best = c;
            }
            if (best != null) return best.stripTrailingZeros();
        }
        return exact.round(MathContext.DECIMAL64).stripTrailingZeros();
    }

    /** A JSON string as JSON.stringify writes it (short escapes, lowercase \\u00xx, lone surrogates escaped). */
    public static void string(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        hex(b, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        b.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        hex(b, c);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    private static void hex(StringBuilder b, char c) {
        String h = Integer.toHexString(c);
        b.append("\\u").append("0".repeat(4 - h.length())).append(h);
    }
}
