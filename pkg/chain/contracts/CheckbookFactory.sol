// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Checkbook} from "./Checkbook.sol";

/// @title CheckbookFactory
/// @notice Deploys checkbooks in one token and remembers them, so that a peer
/// can check that a checkbook it is paid from runs the genuine code:
/// deployedBy(checkbook) is true only for checkbooks this factory created.
contract CheckbookFactory {
    /// @notice The token every checkbook of this factory pays in.
    IERC20 public immutable token;
    /// @notice True for each checkbook this factory deployed.
    mapping(address => bool) public deployedBy;
    /// @notice The current checkbook of an issuer (zero: none).
    mapping(address => address) public checkbookOf;

    /// @notice A checkbook for `issuer` was deployed at `checkbook`.
    event CheckbookDeployed(address indexed issuer, address checkbook);

    constructor(IERC20 token_) {
        require(address(token_) != address(0), "CheckbookFactory: zero token");
        token = token_;
    }

    /// @notice Deploys a checkbook owned by `issuer` with the given notice
    /// period in seconds. Anyone may deploy for anyone; checkbookOf(issuer)
    /// points at the new checkbook when the issuer itself deploys it or when
    /// the issuer has none yet, so nobody else can replace an issuer's choice.
    function deploy(address issuer, uint256 noticePeriod) external returns (address) {
        Checkbook cb = new Checkbook(token, issuer, noticePeriod);
        address addr = address(cb);
        deployedBy[addr] = true;
        if (msg.sender == issuer || checkbookOf[issuer] == address(0)) {
            checkbookOf[issuer] = addr;
        }
        emit CheckbookDeployed(issuer, addr);
        return addr;
    }
}
