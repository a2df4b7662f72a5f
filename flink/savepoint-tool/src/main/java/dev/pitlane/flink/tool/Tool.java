package dev.pitlane.flink.tool;

import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The preflight of a Flink savepoint, as facts for pitlane to judge
 * (src/engines/flink/savepoint-plan.ts):
 *
 * <pre>
 *   java -cp TOOL:FLINK_JARS dev.pitlane.flink.tool.Tool --savepoint DIR --out FILE
 *        --jar JAR --entry-class CLASS [--parallelism N] [-- PROGRAM ARGS...]
 * </pre>
 *
 * Writes {"savepoint": [operators], "candidate": {...}, "compatibility": [...]} to FILE
 * (not stdout: the candidate's main() and Flink's logging write there), or {"error": ...}
 * with exit 2 when the savepoint or the candidate cannot be read.
 */
public final class Tool {
    private Tool() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> o = new HashMap<>();
        List<String> programArgs = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--")) {
                for (int j = i + 1; j < argv.length; j++) programArgs.add(argv[j]);
                break;
            }
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) usage("expected --name value, got " + argv[i]);
            o.put(argv[i].substring(2), argv[++i]);
        }
        for (String required : List.of("savepoint", "out", "jar", "entry-class")) if (!o.containsKey(required)) usage("missing --" + required);
        File out = new File(o.get("out"));
        try {
            Map<String, Object> result = check(new File(o.get("savepoint")), new File(o.get("jar")), o.get("entry-class"), programArgs, Integer.parseInt(o.getOrDefault("parallelism", "1")));
            Files.writeString(out.toPath(), Json.write(result), StandardCharsets.UTF_8);
        } catch (Exception | LinkageError e) {
            Map<String, Object> err = new LinkedHashMap<>();
            err.put("error", message(e));
            Files.writeString(out.toPath(), Json.write(err), StandardCharsets.UTF_8);
            System.exit(2);
        }
        System.exit(0);
    }

    private static void usage(String problem) {
        PrintStream err = System.err;
        err.println(problem);
        err.println("usage: Tool --savepoint DIR --out FILE --jar JAR --entry-class CLASS [--parallelism N] [-- PROGRAM ARGS...]");
        System.exit(64);
    }

    static String message(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (b.length() > 0) b.append(" ← ");
            b.append(t.getClass().getSimpleName()).append(t.getMessage() == null ? "" : ": " + t.getMessage());
        }
        return b.toString();
    }

    static Map<String, Object> check(File savepoint, File jar, String entryClass, List<String> args, int parallelism) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        Candidate candidate;
        try {
            candidate = new Candidate(jar, entryClass, args, parallelism);
        } catch (Exception | LinkageError e) {
            throw new IllegalArgumentException("the candidate's job graph cannot be built from " + jar + " (" + entryClass + "): " + message(e), e);
        }
        List<SavedOperators.SavedOperator> saved = SavedOperators.read(savepoint, candidate.classLoader());
        List<Object> savedJson = new ArrayList<>();
        for (SavedOperators.SavedOperator s : saved) savedJson.add(SavedOperators.json(s));
        result.put("savepoint", savedJson);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("jobName", candidate.jobName);
        List<Object> ops = new ArrayList<>();
        for (Candidate.Operator op : candidate.operators) ops.add(Candidate.json(op));
        c.put("operators", ops);
        result.put("candidate", c);
        result.put("compatibility", compatibility(saved, candidate));
        return result;
    }

    /** Per saved keyed state (and key) of an operator the candidate has: Flink's verdict, where the candidate's serializer is known. */
    private static List<Object> compatibility(List<SavedOperators.SavedOperator> saved, Candidate candidate) {
        Map<String, Candidate.Operator> byId = new HashMap<>();
        for (Candidate.Operator op : candidate.operators) for (String id : op.operatorIds()) byId.put(id, op);
        List<Object> out = new ArrayList<>();
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(candidate.classLoader());
        try {
            for (SavedOperators.SavedOperator s : saved) {
                Candidate.Operator op = byId.get(s.operatorId());
                if (op == null) continue;
                if (s.keySnapshot() != null && op.keySerializer() != null) out.add(verdict(s, null, "key", op.keySerializer(), s.keySnapshot(), "key"));
                for (SavedOperators.SavedState st : s.keyed()) {
                    if (st.snapshot() == null || st.kind().equals("TIMERS")) continue;
                    TypeSerializer<?> next = op.states().get(st.name());
                    String via = "descriptor";
                    if (next == null) {
                        via = "class";
                        try {
                            next = Types.byClass(st.snapshot());
                        } catch (Exception | LinkageError e) {
                            next = null;
                        }
                    }
                    out.add(verdict(s, st.name(), st.kind(), next, st.snapshot(), next == null ? "none" : via));
                }
            }
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
        return out;
    }

    private static Map<String, Object> verdict(SavedOperators.SavedOperator s, String state, String kind, TypeSerializer<?> next, org.apache.flink.api.common.typeutils.TypeSerializerSnapshot<?> saved, String via) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("operatorId", s.operatorId());
        m.put("state", state);
        m.put("kind", kind);
        m.put("saved", Types.describe(saved));
        m.put("candidate", next == null ? null : Types.describe(next));
        m.put("via", via);
        if (next == null) {
            m.put("result", "UNKNOWN");
        } else {
            try {
                m.put("result", Types.compatibility(next, saved));
                String changes = Types.pojoChanges(next, saved);
                if (changes != null) m.put("detail", changes);
            } catch (Exception | LinkageError e) {
                m.put("result", "INCOMPATIBLE");
                m.put("detail", message(e));
            }
        }
        return m;
    }
}
