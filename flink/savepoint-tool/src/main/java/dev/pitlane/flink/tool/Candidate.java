package dev.pitlane.flink.tool;

import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamGraphHasherV2;
import org.apache.flink.streaming.api.graph.StreamGraphUserHashHasher;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperatorFactory;

/**
 * The candidate: its main() run up to the stream graph (as POST /jars/:id/plan does on
 * the JobManager; nothing is submitted), and per operator its ids (the hash of its uid,
 * as the job graph gets them, and a uid hash set by hand), uid, parallelism, max
 * parallelism, key serializer, and the state serializers reachable from the operator
 * object: a state descriptor kept in a field of the operator or of its function (a
 * window's contents, a descriptor made in a constructor) and a reduce's state.
 * Descriptors a function makes in open() are not there until the job runs.
 */
final class Candidate {
    record Operator(
            int nodeId,
            List<String> operatorIds,
            String uid,
            String name,
            int parallelism,
            int maxParallelism,
            TypeSerializer<?> keySerializer,
            Map<String, TypeSerializer<?>> states) {}

    final PackagedProgram program;
    final List<Operator> operators = new ArrayList<>();
    final String jobName;

    Candidate(File jar, String entryClass, List<String> args, int parallelism) throws Exception {
        Configuration conf = new Configuration();
        program = PackagedProgram.newBuilder()
                .setJarFile(jar)
                .setEntryPointClassName(entryClass)
                .setArguments(args.toArray(new String[0]))
                .setConfiguration(conf)
                .build();
        StreamGraph graph = (StreamGraph) PackagedProgramUtils.getPipelineFromProgram(program, conf, parallelism, true);
        jobName = graph.getJobName();
        Map<Integer, byte[]> hashes = new StreamGraphHasherV2().traverseStreamGraphAndGenerateHashes(graph);
        Map<Integer, byte[]> userHashes = new StreamGraphUserHashHasher().traverseStreamGraphAndGenerateHashes(graph);
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(program.getUserCodeClassLoader());
        try {
            for (StreamNode n : graph.getStreamNodes()) {
                List<String> ids = new ArrayList<>();
                if (hashes.get(n.getId()) != null) ids.add(new OperatorID(hashes.get(n.getId())).toHexString());
                byte[] user = userHashes.get(n.getId());
                if (user != null) ids.add(new OperatorID(user).toHexString());
                int p = n.getParallelism() > 0 ? n.getParallelism() : parallelism;
                operators.add(new Operator(n.getId(), ids, n.getTransformationUID(), n.getOperatorName(), p, n.getMaxParallelism(), n.getStateKeySerializer(), reachableStates(n)));
            }
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    ClassLoader classLoader() {
        return program.getUserCodeClassLoader();
    }

    private static Map<String, TypeSerializer<?>> reachableStates(StreamNode n) {
        Map<String, TypeSerializer<?>> out = new LinkedHashMap<>();
        StreamOperatorFactory<?> factory = n.getOperatorFactory();
        if (factory == null) return out;
        Object root = factory instanceof SimpleOperatorFactory<?> s ? s.getOperator() : factory;
        walk(root, 0, out, new IdentityHashMap<>());
        return out;
    }

    private static boolean jdk(Class<?> c) {
        String n = c.getName();
        return c.isPrimitive() || c.isArray() || n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("jdk.") || n.startsWith("sun.") || n.startsWith("scala.") || n.startsWith("org.apache.kafka.");
    }

    private static void walk(Object o, int depth, Map<String, TypeSerializer<?>> out, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || depth > 3 || seen.put(o, true) != null || jdk(o.getClass())) return;
        String stateName = staticStateName(o.getClass());
        for (Class<?> k = o.getClass(); k != null && !jdk(k); k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
                Object v;
                try {
                    f.setAccessible(true);
                    v = f.get(o);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    continue;
                }
                if (v instanceof StateDescriptor<?, ?> d) {
                    try {
                        d.initializeSerializerUnlessSet(new ExecutionConfig());
                        out.putIfAbsent(d.getName(), d.getSerializer());
                    } catch (RuntimeException e) {
                        // A descriptor whose type cannot be worked out here (a generic one): left to the restore.
                    }
                } else if (v instanceof TypeSerializer<?> s && stateName != null) {
                    out.putIfAbsent(stateName, s);
                } else if (v != null && !(v instanceof TypeSerializer<?>) && !(v instanceof PipelineExecutor)) {
                    walk(v, depth + 1, out, seen);
                }
            }
        }
    }

    /** Operators that keep one state under a fixed name (a keyed reduce's "_op_state") declare it in STATE_NAME. */
    private static String staticStateName(Class<?> c) {
        for (Class<?> k = c; k != null && !jdk(k); k = k.getSuperclass()) {
            try {
                Field f = k.getDeclaredField("STATE_NAME");
                if (!Modifier.isStatic(f.getModifiers()) || f.getType() != String.class) continue;
                f.setAccessible(true);
                return (String) f.get(null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // not this class
            }
        }
        return null;
    }

    static Map<String, Object> json(Operator o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("operatorIds", o.operatorIds());
        m.put("uid", o.uid());
        m.put("name", o.name());
        m.put("parallelism", o.parallelism());
        m.put("maxParallelism", o.maxParallelism());
        m.put("keyType", o.keySerializer() == null ? null : Types.describe(o.keySerializer()));
        List<Object> states = new ArrayList<>();
        for (Map.Entry<String, TypeSerializer<?>> e : o.states().entrySet()) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", e.getKey());
            s.put("type", Types.describe(e.getValue()));
            states.add(s);
        }
        m.put("states", states);
        return m;
    }
}
