package dev.ticketd.node;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The node's packages depend on each other one way: features use {@code node.web}, never the other
 * way round, and no two packages need each other. Only the composition root ({@code Node}) and the
 * CLI that starts it see everything.
 */
class PackageDependenciesTest {

    private static final JavaClasses NODE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.ticketd.node");

    @Test
    void theWebLayerUsesNoFeature() {
        noClasses().that().resideInAPackage("dev.ticketd.node.web..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.ticketd.node.ticket..", "dev.ticketd.node.quarantine..",
                        "dev.ticketd.node.clusterpage..", "dev.ticketd.node.health..", "dev.ticketd.node.metrics..",
                        "dev.ticketd.node.intake..", "dev.ticketd.node.cli..", "dev.ticketd.node.apidoc..")
                .check(NODE);
    }

    @Test
    void noTwoPackagesOfTheNodeDependOnEachOther() {
        slices().matching("dev.ticketd.node.(*)..").should().beFreeOfCycles().check(NODE);
    }
}
