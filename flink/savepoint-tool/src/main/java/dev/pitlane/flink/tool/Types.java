package dev.pitlane.flink.tool;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializer;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;

/** Serializers and their snapshots: a readable name, the class a serializer is for, and Flink's own compatibility verdict. */
final class Types {
    private Types() {}

    /** "PojoSerializer<dev.pitlane.flink.fraud.Profile>", "LongSerializer", …: what a state's type is, for a person. */
    static String describe(TypeSerializerSnapshot<?> snapshot) {
        try {
            return describe(snapshot.restoreSerializer());
        } catch (Exception | LinkageError e) {
            return snapshot.getClass().getName();
        }
    }

    static String describe(TypeSerializer<?> s) {
        Class<?> c = typeClass(s);
        String name = s.getClass().getSimpleName();
        return c == null ? name : name + "<" + c.getName() + ">";
    }

    /** The class a serializer is for, when it keeps one (POJO, Avro, Kryo, enum serializers do). */
    static Class<?> typeClass(TypeSerializer<?> s) {
        for (Class<?> k = s.getClass(); k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (f.getType() != Class.class || java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
                try {
                    f.setAccessible(true);
                    Object v = f.get(s);
                    if (v instanceof Class<?> c) return c;
                } catch (ReflectiveOperationException | RuntimeException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * A state whose descriptor the candidate makes at run time is not in its graph; when
     * the saved type is a class of the job's own (a POJO, an Avro record), the serializer
     * the candidate's class of that name gets is the closest static answer.
     */
    static TypeSerializer<?> byClass(TypeSerializerSnapshot<?> saved) {
        if (!(saved instanceof PojoSerializerSnapshot) && !saved.getClass().getName().contains("Avro")) return null;
        Class<?> c;
        try {
            c = typeClass(saved.restoreSerializer());
        } catch (Exception | LinkageError e) {
            return null;
        }
        if (c == null) return null;
        return TypeInformation.of(c).createSerializer(new SerializerConfigImpl());
    }

    /**
     * For a POJO, what changed field by field: the saved serializer restored with the
     * candidate's class keeps the saved field serializers beside the candidate's fields,
     * so a field whose type changed shows its saved and its new serializer. Null when
     * either side is not a POJO or nothing differs by name.
     */
    static String pojoChanges(TypeSerializer<?> candidate, TypeSerializerSnapshot<?> saved) {
        if (!(candidate instanceof PojoSerializer<?>) || !(saved instanceof PojoSerializerSnapshot<?>)) return null;
        Map<String, TypeSerializer<?>> before;
        Map<String, TypeSerializer<?>> after;
        try {
            before = pojoFields(saved.restoreSerializer());
            after = pojoFields(candidate);
        } catch (Exception | LinkageError e) {
            return null;
        }
        List<String> changes = new ArrayList<>();
        for (Map.Entry<String, TypeSerializer<?>> e : after.entrySet()) {
            TypeSerializer<?> was = before.get(e.getKey());
            if (was == null) changes.add("field \"" + e.getKey() + "\" added");
            else if (was.getClass() != e.getValue().getClass()) changes.add("field \"" + e.getKey() + "\" was " + describe(was) + ", is " + describe(e.getValue()));
        }
        for (String name : before.keySet()) if (!after.containsKey(name)) changes.add("field \"" + name + "\" removed");
        return changes.isEmpty() ? null : String.join("; ", changes);
    }

    /** A POJO serializer's fields by name, with the serializer of each. */
    private static Map<String, TypeSerializer<?>> pojoFields(TypeSerializer<?> s) throws ReflectiveOperationException {
        Field fieldsField = PojoSerializer.class.getDeclaredField("fields");
        Field serializersField = PojoSerializer.class.getDeclaredField("fieldSerializers");
        fieldsField.setAccessible(true);
        serializersField.setAccessible(true);
        Field[] fields = (Field[]) fieldsField.get(s);
        TypeSerializer<?>[] serializers = (TypeSerializer<?>[]) serializersField.get(s);
        Map<String, TypeSerializer<?>> out = new LinkedHashMap<>();
        for (int i = 0; i < fields.length && i < serializers.length; i++) if (fields[i] != null) out.put(fields[i].getName(), serializers[i]);
        return out;
    }

    /** Flink's verdict on reading `saved` state with `candidate`, as the restore would ask it. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static String compatibility(TypeSerializer<?> candidate, TypeSerializerSnapshot<?> saved) {
        TypeSerializerSnapshot next = candidate.snapshotConfiguration();
        TypeSerializerSchemaCompatibility<?> c = next.resolveSchemaCompatibility((TypeSerializerSnapshot) saved);
        if (c.isCompatibleAsIs()) return "COMPATIBLE_AS_IS";
        if (c.isCompatibleAfterMigration()) return "COMPATIBLE_AFTER_MIGRATION";
        if (c.isCompatibleWithReconfiguredSerializer()) return "COMPATIBLE_WITH_RECONFIGURED_SERIALIZER";
        return "INCOMPATIBLE";
    }
}
